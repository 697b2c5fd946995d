"""RPC client of the conductor, used by guest agents.

Version ledger:

* 1.0 - Initial version: heartbeat, update_backup, report_root,
        notify_end, notify_exc_info.
* 1.1 - A heartbeat's payload may carry ``fault`` ({message, details}):
        the status and the instance fault are recorded together.
* 1.5 - pitr_archived (the archive index of point-in-time recovery) and
        pitr_restored (the time a point-in-time restore reached).
* 1.6 - replication_standing, a call: whether a starting guest is a
        fenced former primary (automatic failover).

Every method is a cast carrying ``sent`` (epoch seconds, float): the
conductor ignores a message that is not newer than the last one it
accepted for the same instance and method.

Casts are published as mandatory: one the broker cannot route (no
conductor queue: the broker restarted and no conductor has declared it
again yet, and RabbitMQ drops such a message without a word) comes back
as undeliverable (or, for a guest that may only declare the control
exchange passively, finds no exchange yet) and is sent again, with the
same ``sent``, until
``conductor_unroutable_resend_timeout`` (a heartbeat for a few seconds
at most: the next one replaces it). A stopped conductor's queue stays,
and takes the messages.

A guest that has a message key (``instance_rpc_encr_key``, from its
guest_info.conf) seals every message with it
(trove.common.sealed_messages): the wire format changes, not the methods
or their version.
"""

import time

from oslo_log import log as logging

from trove.common import rpc
from trove.common import sealed_messages
from trove.conf import CONF

API_BASE_VERSION = '1.0'
API_LATEST_VERSION = '1.6'
VERSION_ALIASES = {'icehouse': '1.0', 'juno': '1.0', 'kilo': '1.0',
                   'liberty': '1.0', 'mitaka': '1.0', 'newton': '1.0'}

LOG = logging.getLogger(__name__)
# Seconds between two sends of an unroutable message: the first, then
# doubled up to the last.
RESEND_DELAYS = (0.5, 5.0)
# Seconds at most a heartbeat is sent again (a conductor redeclares its
# queue within a second or two of the broker's return).
HEARTBEAT_RESEND = 5.0


def _serializer():
    """Sealing when this process is a guest with a key, else plain."""
    key = CONF.instance_rpc_encr_key
    if key and CONF.guest_id:
        return sealed_messages.SealingSerializer(CONF.guest_id, key)
    return None


class API:

    def __init__(self, context):
        self.context = context
        cap = rpc.version_cap('conductor', VERSION_ALIASES,
                              API_LATEST_VERSION)
        self.client = rpc.get_client(CONF.conductor_queue, cap,
                                     serializer=_serializer(),
                                     mandatory=True)

    def _cast(self, method, version=API_BASE_VERSION, resend_for=None,
              **kwargs):
        """Cast; sent again while the broker finds no conductor queue to
        route it to, for ``resend_for`` seconds (default
        ``conductor_unroutable_resend_timeout``); then the undeliverable
        error is raised."""
        if resend_for is None:
            resend_for = CONF.conductor_unroutable_resend_timeout
        deadline = time.monotonic() + resend_for
        delay, longest = RESEND_DELAYS
        cctxt = self.client.prepare(version=version)
        while True:
            try:
                cctxt.cast(self.context, method, **kwargs)
                return
            except Exception as error:
                # No queue for it, or (a guest with a broker user of its
                # own declares the control exchange only passively,
                # trove.common.rpc_replies) no control exchange yet
                # after a restart.
                if not rpc.is_undeliverable(error):
                    raise
                left = deadline - time.monotonic()
                if left <= 0:
                    LOG.warning('The broker has no conductor queue %s for '
                                '%s of instance %s; not sent again',
                                CONF.conductor_queue, method,
                                kwargs.get('instance_id'))
                    raise
            LOG.warning('The broker has no conductor queue %s yet (did it '
                        'restart?): %s of instance %s is sent again in '
                        '%.1f s', CONF.conductor_queue, method,
                        kwargs.get('instance_id'), min(delay, left))
            time.sleep(min(delay, left))
            delay = min(delay * 2, longest)

    def replication_standing(self, instance_id, timeout=10):
        """A call (1.6, the only one): whether this instance is a fenced
        former primary, before its guest starts the engine."""
        cctxt = self.client.prepare(version='1.6', timeout=timeout)
        return cctxt.call(self.context, 'replication_standing',
                          instance_id=instance_id)

    def heartbeat(self, instance_id, payload, sent=None):
        # The next heartbeat replaces an unroutable one, unless it
        # carries a fault (sent once); an operation holding the agent's
        # lock while it reports is not held up for long.
        resend_for = None if (payload or {}).get('fault') else min(
            CONF.report_interval, HEARTBEAT_RESEND,
            CONF.conductor_unroutable_resend_timeout)
        self._cast('heartbeat', resend_for=resend_for,
                   instance_id=instance_id, payload=payload,
                   sent=sent if sent is not None else time.time())

    def heartbeat_with_fault(self, instance_id, status, message, details,
                             event_type):
        """A status and the fault explaining it, as one message (two on a
        conductor older than 1.1)."""
        if not self.client.can_send_version('1.1'):
            self.heartbeat(instance_id, {'service_status': status})
            self.notify_exc_info(instance_id, event_type, message, details)
            return
        self._cast('heartbeat', version='1.1', instance_id=instance_id,
                   payload={'service_status': status,
                            'fault': {'message': message,
                                      'details': details or ''}},
                   sent=time.time())

    def update_backup(self, instance_id, backup_id, sent=None,
                      resend_for=None, **backup_fields):
        """``resend_for``: see _cast (a progress report is replaced by the
        next one; a backup's end must arrive)."""
        self._cast('update_backup', resend_for=resend_for,
                   instance_id=instance_id, backup_id=backup_id,
                   sent=sent if sent is not None else time.time(),
                   **backup_fields)

    def report_root(self, instance_id, user=None):
        self._cast('report_root', instance_id=instance_id, user=user)

    def notify_end(self, instance_id, event_type, payload=None):
        self._cast('notify_end', instance_id=instance_id,
                   event_type=event_type, payload=payload or {},
                   sent=time.time())

    def notify_exc_info(self, instance_id, event_type, message,
                        details=None):
        """Report a failure the user must see as the instance's fault."""
        self._cast('notify_exc_info', instance_id=instance_id,
                   event_type=event_type, message=message,
                   details=details or '', sent=time.time())

    def pitr_archived(self, instance_id, entries):
        """WAL segments / binary logs shipped, lost or pruned."""
        self._cast('pitr_archived', version='1.5', instance_id=instance_id,
                   entries=entries, sent=time.time())

    def pitr_restored(self, instance_id, reached):
        self._cast('pitr_restored', version='1.5', instance_id=instance_id,
                   reached=reached, sent=time.time())
