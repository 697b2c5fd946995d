"""What travels on the wire, as oslo.messaging's RabbitMQ driver has it.

A message body is the JSON envelope ``{"oslo.version": "2.0",
"oslo.message": "<the message as a JSON string>"}``. The message holds
``method``, ``args``, ``version`` (and ``namespace`` when set), a
``_unique_id``, the request context flattened into ``_context_<key>``
keys and, for a call, ``_msg_id`` and ``_reply_q``. A reply holds
``result``, ``failure`` (a JSON string naming the exception's class and
module, its message, arguments and traceback), ``ending`` and
``_msg_id``.
"""

import json
import traceback
import uuid

ENVELOPE_VERSION = '2.0'
VERSION_KEY = 'oslo.version'
MESSAGE_KEY = 'oslo.message'
CONTEXT_PREFIX = '_context_'
CONTENT_TYPE = 'application/json'
CONTENT_ENCODING = 'utf-8'
# The module name oslo.messaging gives the exceptions of its dispatcher;
# a caller that does not allow it gets a RemoteError naming the class.
DISPATCHER_MODULE = 'oslo_messaging.rpc.dispatcher'
REMOTE_SUFFIX = '_Remote'


class MessagingError(Exception):
    """Base of this package's errors."""


class MessagingTimeout(MessagingError):
    """No reply came within the call's timeout."""


class MessageUndeliverable(MessagingError):
    """The broker had no queue for a mandatory message."""


class RemoteError(MessagingError):
    """An exception the remote end raised, of a class not rebuilt here."""

    def __init__(self, exc_type=None, value=None, traceback_lines=None):
        self.exc_type = exc_type
        self.value = value
        self.traceback = traceback_lines
        super().__init__('Remote error: %s %s' % (exc_type, value))


class BadMessage(MessagingError):
    """A body that is not an oslo.messaging envelope."""


def new_id():
    return uuid.uuid4().hex


def _json_default(value):
    # Whatever JSON does not know travels as its text (oslo.messaging's
    # to_primitive does the same for unknown objects).
    return str(value)


def dumps(value):
    return json.dumps(value, default=_json_default)


def envelope(message):
    """The body of ``message`` on the wire."""
    return dumps({VERSION_KEY: ENVELOPE_VERSION,
                  MESSAGE_KEY: dumps(message)})


def open_envelope(body):
    """The message in a received body (bytes or text)."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        body = bytes(body).decode(CONTENT_ENCODING)
    try:
        outer = json.loads(body)
    except ValueError as error:
        raise BadMessage('the body is not JSON: %s' % error) from error
    if not isinstance(outer, dict):
        raise BadMessage('the body is not an object')
    if MESSAGE_KEY not in outer:
        # oslo.messaging accepts a message without an envelope too.
        return outer
    if str(outer.get(VERSION_KEY, '')).split('.')[0] != \
            ENVELOPE_VERSION.split('.')[0]:
        raise BadMessage('unsupported envelope version %r'
                         % outer.get(VERSION_KEY))
    try:
        inner = json.loads(outer[MESSAGE_KEY])
    except (TypeError, ValueError) as error:
        raise BadMessage('the message is not JSON: %s' % error) from error
    if not isinstance(inner, dict):
        raise BadMessage('the message is not an object')
    return inner


def pack_context(message, context_dict):
    message.update((CONTEXT_PREFIX + key, value)
                   for key, value in (context_dict or {}).items())


def unpack_context(message):
    """The context's keys, taken out of ``message``."""
    context = {}
    for key in list(message):
        if key.startswith(CONTEXT_PREFIX):
            context[key[len(CONTEXT_PREFIX):]] = message.pop(key)
    return context


def request(method, args, version=None, namespace=None):
    message = {'method': method, 'args': args}
    if namespace is not None:
        message['namespace'] = namespace
    if version is not None:
        message['version'] = version
    return message


def reply(msg_id, result=None, failure=None):
    return {'result': result, 'failure': failure, 'ending': True,
            '_msg_id': msg_id}


def failure_of(error):
    """The ``failure`` of a reply for an exception being handled."""
    cls_name = type(error).__name__
    module = type(error).__module__
    if cls_name.endswith(REMOTE_SUFFIX) and module.endswith(REMOTE_SUFFIX):
        cls_name = cls_name[:-len(REMOTE_SUFFIX)]
        module = module[:-len(REMOTE_SUFFIX)]
    return dumps({
        'class': cls_name,
        'module': module,
        'message': str(error),
        'tb': traceback.format_exception(type(error), error,
                                         error.__traceback__),
        'args': list(error.args),
        'kwargs': getattr(error, 'kwargs', None) or {},
    })


def dispatcher_failure(class_name, message):
    """A failure of the dispatcher itself (no such method, version)."""
    return dumps({'class': class_name, 'module': DISPATCHER_MODULE,
                  'message': message, 'tb': [], 'args': [message],
                  'kwargs': {}})


def exception_of(failure, allowed_modules):
    """The exception a reply's ``failure`` stands for: the same class
    when its module is allowed (``ALLOWED_EXMODS``), else RemoteError."""
    try:
        data = json.loads(str(failure))
    except ValueError:
        return RemoteError('Unknown', str(failure), [])
    name, module = data.get('class'), data.get('module')
    text = data.get('message', '')
    if module in ('exceptions', 'builtins') or module in allowed_modules:
        try:
            klass = getattr(__import__(module, fromlist=[name]), name)
            if isinstance(klass, type) and issubclass(klass, Exception):
                return klass(*data.get('args', []),
                             **(data.get('kwargs') or {}))
        except Exception:       # rebuilt as a RemoteError below
            pass
    return RemoteError(name, text, data.get('tb', []))
