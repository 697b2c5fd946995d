"""A stand-in guest agent for the local compute driver's tests.

Started by the driver as ``fake_guest.py [--mode ...] --config-dir DIR``
it reads ``guest_state_dir`` from DIR/guest_info.conf and then, by mode:

* ``serve``: writes ``agent.ready`` and ``agent.served`` there and
  sleeps until SIGTERM (then removes ``agent.ready``, like the real
  agent); ``--engine`` also starts a detached "engine" (sleep) with its
  pid file in the state dir, as real agents do;
* ``exit``: prints ``--message`` and exits 3 at once;
* ``never-ready``: sleeps without ever writing ``agent.ready``.
"""

import argparse
import configparser
import os
import signal
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--mode', default='serve',
                        choices=['serve', 'exit', 'never-ready'])
    parser.add_argument('--message', default='fake guest failed')
    parser.add_argument('--engine', action='store_true')
    parser.add_argument('--config-dir', required=True)
    options = parser.parse_args()

    if options.mode == 'exit':
        print('starting fake guest')
        print(options.message, file=sys.stderr)
        return 3

    info = configparser.RawConfigParser()
    info.read(os.path.join(options.config_dir, 'guest_info.conf'))
    state_dir = info.get('DEFAULT', 'guest_state_dir')
    ready = os.path.join(state_dir, 'agent.ready')

    def on_term(signum, frame):
        if os.path.exists(ready):
            os.unlink(ready)
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_term)
    if options.engine:
        # Like a real agent: reuse a running engine, else start one.
        from trove.common import daemon
        engine_pid = os.path.join(state_dir, 'engine.pid')
        if not daemon.is_running(engine_pid):
            daemon.spawn(['sleep', '3600'], pid_path=engine_pid,
                         log_path=os.path.join(state_dir, 'engine.log'))
    if options.mode == 'serve':
        with open(ready, 'w') as marker:
            marker.write('%d\n' % os.getpid())
        with open(os.path.join(state_dir, 'agent.served'), 'w') as marker:
            marker.write('%d\n' % os.getpid())
    while True:
        time.sleep(3600)


if __name__ == '__main__':
    sys.exit(main())
