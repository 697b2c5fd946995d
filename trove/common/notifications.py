"""Oslo notifications the services emit (``[oslo_messaging_notifications]``
decides whether and where they go; with no driver nothing is sent)."""

import socket
import threading

import oslo_messaging as messaging
from oslo_log import log as logging

from trove.conf import CONF

LOG = logging.getLogger(__name__)

_lock = threading.Lock()
_notifier = None


def _get_notifier():
    global _notifier
    with _lock:
        if _notifier is None:
            transport = messaging.get_notification_transport(CONF)
            _notifier = messaging.Notifier(
                transport, publisher_id='trove-taskmanager.%s' % socket.gethostname())
        return _notifier


def notify_info(context, event_type, payload):
    """Send an INFO notification; a broker problem is logged, never
    raised (the event already happened)."""
    try:
        notifier = _get_notifier()
        if not notifier.is_enabled():
            return
        ctxt = context.to_dict() if hasattr(context, 'to_dict') else {}
        notifier.info(ctxt, event_type, payload)
    except Exception as error:
        LOG.warning('Notification %s not sent: %s', event_type, error)


def reset():
    global _notifier
    with _lock:
        _notifier = None
