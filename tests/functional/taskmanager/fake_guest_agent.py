"""A stand-in guest agent serving just enough of the guest RPC API.

The local compute driver starts it as ``fake_guest_agent.py --mode M
--config-dir DIR`` with the injected guest_info.conf and
trove-guestagent.conf in DIR. It serves topic ``guestagent.<guest_id>``
over the configured transport, writes ``agent.ready`` in its state dir,
records every call it receives in ``<state dir>/calls.jsonl`` and reports
only through the conductor, like the real agent. Modes:

* ``healthy``: prepare reports ``building`` then ``healthy``;
* ``silent``: prepare is received but never answered;
* ``fail``: prepare reports ``failed to spawn`` and a fault message;
* ``die``: prints a message and exits before serving anything.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time

DIE_MESSAGE = 'fake guest: cannot find the engine binary (boom-42)'
FAIL_MESSAGE = 'fake engine refused to start: unknown setting xyz'


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--mode', default='healthy',
                        choices=['healthy', 'silent', 'fail', 'die'])
    parser.add_argument('--config-dir', required=True)
    options = parser.parse_args()
    if options.mode == 'die':
        print(DIE_MESSAGE, file=sys.stderr)
        return 2

    import oslo_messaging as messaging

    from trove.common import service
    from trove.conductor import api as conductor_api
    from trove.conf import CONF

    CONF(['--config-dir', options.config_dir], project='trove')
    guest_id = CONF.guest_id
    state_dir = CONF.guest_state_dir
    calls_path = os.path.join(state_dir, 'calls.jsonl')
    ready_path = os.path.join(state_dir, 'agent.ready')
    lock = threading.Lock()

    class FakeGuest:
        target = messaging.Target(version='1.3')

        def _record(self, method, **kwargs):
            with lock, open(calls_path, 'a') as calls:
                calls.write(json.dumps({'method': method,
                                        'args': kwargs}) + '\n')

        def _report(self, context, description):
            conductor_api.API(context).heartbeat(
                guest_id, {'service_status': description})
            # Keep "sent" strictly increasing between two heartbeats.
            time.sleep(0.01)

        def prepare(self, context, **kwargs):
            self._record('prepare', **kwargs)
            # No "building" first: the conductor may handle two first
            # heartbeats of an instance concurrently and keep either.
            if options.mode == 'silent':
                return
            if options.mode == 'fail':
                # Like the real agent: the status and its fault in one
                # message.
                conductor_api.API(context).heartbeat_with_fault(
                    guest_id, 'failed to spawn', FAIL_MESSAGE,
                    'engine log tail', event_type='instance_create')
                return
            self._report(context, 'healthy')

        def stop_db(self, context, **kwargs):
            self._record('stop_db', **kwargs)
            self._report(context, 'shutdown')

        def restart(self, context):
            self._record('restart')
            self._report(context, 'restarting')
            self._report(context, 'healthy')

        def start_db_with_conf_changes(self, context, config_contents,
                                       ds_version=None):
            self._record('start_db_with_conf_changes',
                         config_contents=config_contents,
                         ds_version=ds_version)
            self._report(context, 'healthy')

        def resize_fs(self, context, **kwargs):
            self._record('resize_fs', **kwargs)

        def rpc_ping(self, context):
            return True

    rpc_service = service.RpcService('guestagent.%s' % guest_id, guest_id,
                                     [FakeGuest()])
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    rpc_service.start()
    with open(ready_path, 'w') as ready:
        ready.write('%d\n' % os.getpid())
    with open(os.path.join(state_dir, 'agent.served'), 'w') as served:
        served.write('%d\n' % os.getpid())
    print('fake guest %s serving in mode %s' % (guest_id, options.mode))
    sys.stdout.flush()
    while not stopping.wait(1):
        pass
    os.unlink(ready_path)
    rpc_service.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
