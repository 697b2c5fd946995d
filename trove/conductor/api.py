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

A guest that has a message key (``instance_rpc_encr_key``, from its
guest_info.conf) seals every message with it
(trove.common.sealed_messages): the wire format changes, not the methods
or their version.
"""

import time

from trove.common import rpc
from trove.common import sealed_messages
from trove.conf import CONF

API_BASE_VERSION = '1.0'
API_LATEST_VERSION = '1.6'
VERSION_ALIASES = {'icehouse': '1.0', 'juno': '1.0', 'kilo': '1.0',
                   'liberty': '1.0', 'mitaka': '1.0', 'newton': '1.0'}


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
                                     serializer=_serializer())

    def _cast(self, method, version=API_BASE_VERSION, **kwargs):
        cctxt = self.client.prepare(version=version)
        cctxt.cast(self.context, method, **kwargs)

    def replication_standing(self, instance_id, timeout=10):
        """A call (1.6, the only one): whether this instance is a fenced
        former primary, before its guest starts the engine."""
        cctxt = self.client.prepare(version='1.6', timeout=timeout)
        return cctxt.call(self.context, 'replication_standing',
                          instance_id=instance_id)

    def heartbeat(self, instance_id, payload, sent=None):
        self._cast('heartbeat', instance_id=instance_id, payload=payload,
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
                      **backup_fields):
        self._cast('update_backup', instance_id=instance_id,
                   backup_id=backup_id,
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
