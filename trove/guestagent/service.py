"""The guest agent's RPC service: topic ``guestagent.<guest_id>``.

Loads the datastore manager named by ``datastore_manager``, serves it as
the RPC endpoint with server = guest_id, and runs the heartbeat as a
periodic task every ``report_interval`` seconds. Once the RPC server
consumes, ``<guest_state_dir>/agent.ready`` exists (the local provider
reads it as "server ACTIVE"); a clean stop removes it, while
``agent.served`` stays (a server whose agent had served and stopped is
SHUTDOWN, not ERROR).
"""

import os
import threading

from oslo_log import log as logging
from oslo_utils import importutils

from trove.common import datastore_registry
from trove.common import sealed_messages
from trove.common import service
from trove.conf import CONF
from trove.guestagent import operating_system
from trove.guestagent import status as guest_status
from trove.guestagent import volume

LOG = logging.getLogger(__name__)

# How long the service waits for its start-up recovery to take the
# manager's lock (uncontended then: a moment) before serving anyway.
RECOVERY_LOCK_WAIT = 10


class ConfigurationError(Exception):
    pass


def topic(guest_id):
    return 'guestagent.%s' % guest_id


def load_manager():
    """The datastore manager object of this agent's datastore."""
    if not CONF.guest_id:
        raise ConfigurationError('guest_id is not set; the agent does not '
                                 'know which instance it serves.')
    # Before the manager reads its paths: the volume prepare was given.
    volume.apply_remembered_attachment()
    class_path = datastore_registry.manager_class(CONF.datastore_manager)
    if not class_path:
        raise ConfigurationError('No guest manager for datastore manager %r '
                                 '(known: %s).' % (
                                     CONF.datastore_manager,
                                     ', '.join(datastore_registry.MANAGERS)))
    return importutils.import_object(class_path)


class GuestService(service.RpcService):

    def __init__(self, manager):
        self.manager = manager
        heartbeat = service.PeriodicTask(
            'heartbeat', CONF.report_interval, manager.update_status,
            initial_delay=CONF.report_interval)
        tasks = [heartbeat]
        from trove.guestagent.backup import pitr
        if pitr.engine_module(CONF.datastore_manager) is not None:
            # Also with pitr_enabled off: the archive index then records
            # the period archiving was off (doc/pitr.md).
            every = pitr.interval(CONF.datastore_manager)
            tasks.append(service.PeriodicTask(
                'pitr-archive', every,
                lambda: pitr.run_archiver(manager), initial_delay=every))
        # With a key, the control plane's messages must come sealed.
        serializer = (sealed_messages.ChannelSerializer(
            CONF.guest_id, CONF.instance_rpc_encr_key)
            if CONF.instance_rpc_encr_key else None)
        super().__init__(topic(CONF.guest_id), CONF.guest_id, [manager],
                         periodic_tasks=tasks, serializer=serializer)
        self.ready_path = os.path.join(CONF.guest_state_dir,
                                       guest_status.AGENT_READY)
        self.served_path = os.path.join(CONF.guest_state_dir,
                                        guest_status.AGENT_SERVED)

    def start(self):
        operating_system.ensure_dir(CONF.guest_state_dir, 0o755)
        # Bringing a prepared engine back up may take a while. It runs in
        # a thread of its own, but takes the manager's lock before RPC is
        # served: operations that come meanwhile wait for the engine
        # (they take the lock too) while pings are answered.
        holding = threading.Event()
        threading.Thread(target=self._recover, args=(holding,), daemon=True,
                         name='recover-engine').start()
        holding.wait(RECOVERY_LOCK_WAIT)
        super().start()
        operating_system.write_file(self.ready_path, '%d\n' % os.getpid())
        # Kept after the agent exits: it had served (see the local
        # provider's server status).
        operating_system.write_file(self.served_path, '%d\n' % os.getpid())
        LOG.info('Guest agent of instance %s (%s) ready', CONF.guest_id,
                 CONF.datastore_manager)

    def _recover(self, holding):
        try:
            self.manager.on_agent_start(holding)
        except Exception:
            LOG.exception('Could not check the engine at start-up')
        finally:
            holding.set()   # RPC is served even if the recovery failed

    def stop(self):
        operating_system.remove(self.ready_path)
        super().stop()
