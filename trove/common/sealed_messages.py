"""Per-instance keys and sealed guest messages (upstream's "secure RPC").

Every instance gets a random key when its row is created. The row keeps
it encrypted with the deployment's ``inst_rpc_key_encr_key``
(``instances.encrypted_key``, upstream's column); the taskmanager
decrypts it into that guest's ``guest_info.conf`` only, as
``instance_rpc_encr_key``.

A guest seals what it casts to the conductor with its key: the context
and each argument become Fernet tokens (AES-CBC with an HMAC-SHA256 over
the whole token), next to the sender's instance id in clear, so the
conductor knows which key opens them. Upstream's serializer encrypts
with unauthenticated AES-CBC; a token here that was not made with the
sender's own key does not open, and the conductor drops it. The
conductor also drops a message whose sealed sender is not the instance
it names, and a plain message naming an instance that has a key
(``trove.conductor.manager``).
"""

import base64
import hashlib
import json
import threading

from oslo_log import log as logging

from trove.common import fernet_tokens
from trove.common import rpc
from trove.conf import CONF

LOG = logging.getLogger(__name__)

SENDER = 'csz-instance-id'      # upstream's name of the clear sender id

class SealError(Exception):
    """A token that does not open with the key it should."""


def _key_of(secret):
    """A Fernet key of any secret text: its SHA-256 (Fernet wants 32
    bytes)."""
    digest = hashlib.sha256(secret.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def new_instance_key():
    return fernet_tokens.generate_key().decode()


def encrypt_instance_key(key):
    return fernet_tokens.encrypt(_key_of(CONF.inst_rpc_key_encr_key),
                                 key.encode()).decode()


def decrypt_instance_key(encrypted):
    try:
        return fernet_tokens.decrypt(_key_of(CONF.inst_rpc_key_encr_key),
                                     encrypted.encode()).decode()
    except (fernet_tokens.InvalidToken, ValueError) as error:
        raise SealError('the instance key does not decrypt with '
                        'inst_rpc_key_encr_key') from error


def seal(key, value):
    return fernet_tokens.encrypt(_key_of(key),
                                 json.dumps(value).encode()).decode()


def unseal(key, token):
    try:
        return json.loads(fernet_tokens.decrypt(_key_of(key),
                                                str(token).encode()))
    except (fernet_tokens.InvalidToken, ValueError, TypeError) as error:
        raise SealError('the message is not sealed with the key of the '
                        'instance it claims to come from') from error


class KeyCache:
    """Instance keys the conductor has decrypted (they never change)."""

    def __init__(self, load):
        # load(instance_id) -> (the row exists, its encrypted key or None).
        # A row's key never changes, so an answer about an existing row
        # (with or without a key) is kept.
        self._load = load
        self._keys = {}
        self._lock = threading.Lock()

    def key(self, instance_id):
        with self._lock:
            if instance_id in self._keys:
                return self._keys[instance_id]
        found, encrypted = self._load(instance_id)
        key = decrypt_instance_key(encrypted) if encrypted else None
        if found:
            with self._lock:
                self._keys[instance_id] = key
        return key


class SealingSerializer(rpc.ContextSerializer):
    """A guest's: the context and every argument sealed with its key."""

    def __init__(self, sender, key):
        self.sender = sender
        self.key = key

    def _sealed(self, value):
        return {SENDER: self.sender, 'sealed': seal(self.key, value)}

    def serialize_entity(self, context, entity):
        return self._sealed(super().serialize_entity(context, entity))

    def serialize_context(self, context):
        return self._sealed(super().serialize_context(context))


def _is_sealed(value, exact=True):
    """A sealed value; the transport adds keys of its own to a context
    (msg_id, reply_q...), so ``exact=False`` for one."""
    if not isinstance(value, dict):
        return False
    if exact:
        return set(value) == {SENDER, 'sealed'}
    return SENDER in value and 'sealed' in value


class OpeningSerializer(rpc.ContextSerializer):
    """The conductor's: opens sealed messages with the key of the
    instance they say they come from, and passes plain ones through.

    The context it returns tells the endpoint what it found:
    ``sealed_sender`` (the instance whose key opened the message, None
    for a plain one) and ``seal_error`` (why the message did not open).
    Nothing raises here: the endpoint drops and logs a bad message.
    """

    def __init__(self, keys):
        self.keys = keys

    def deserialize_context(self, context):
        context = context or {}
        if not _is_sealed(context, exact=False):
            opened = super().deserialize_context(context)
            opened.sealed_sender = None
            opened.seal_error = None
            opened.message_key = None
            return opened
        sender = str(context[SENDER])[:64]
        error = None
        values = {}
        key = None
        try:
            key = self.keys.key(sender)
            if key is None:
                raise SealError('instance %s has no message key' % sender)
            values = unseal(key, context['sealed'])
        except SealError as failure:
            error = str(failure)
        opened = super().deserialize_context(values)
        opened.sealed_sender = sender
        opened.seal_error = error
        opened.message_key = key if error is None else None
        return opened

    def deserialize_entity(self, context, entity):
        if getattr(context, 'seal_error', None):
            return None         # the first reason is the one logged
        if not _is_sealed(entity):
            if getattr(context, 'sealed_sender', None) is not None:
                # A sealed context with a plain argument: something was
                # put into the message after the guest sealed it.
                context.seal_error = 'an argument is not sealed'
            return entity
        key = getattr(context, 'message_key', None)
        if key is None or entity[SENDER] != context.sealed_sender:
            context.seal_error = 'an argument is sealed by another sender'
            return None
        try:
            return unseal(key, entity['sealed'])
        except SealError as failure:
            context.seal_error = str(failure)
            return None


class ChannelSerializer(SealingSerializer):
    """Both ends of the control plane's RPC with one guest: everything
    sent is sealed with the instance's key, and everything received must
    be sealed with it for that instance -- a plain or foreign message
    raises (a call's caller gets the error; nothing is run)."""

    def _open(self, value, exact=True):
        if not _is_sealed(value, exact=exact):
            raise SealError('a plain message on the sealed channel of '
                            'instance %s' % self.sender)
        if value[SENDER] != self.sender:
            raise SealError('a message for instance %s on the channel of '
                            'instance %s' % (value[SENDER], self.sender))
        return unseal(self.key, value['sealed'])

    def deserialize_entity(self, context, entity):
        return self._open(entity)

    def deserialize_context(self, context):
        return super().deserialize_context(
            self._open(context or {}, exact=False))


def channel_serializer(instance_id):
    """The serializer of the control plane's RPC to ``instance_id``'s
    guest: sealing when the instance has a key, else None (plain)."""
    key = instance_key(instance_id)
    return ChannelSerializer(instance_id, key) if key else None


_instance_keys = None


def set_key_loader(load):
    """Where this process reads instance keys (trove.db.api sets it: any
    process with the control DB). See KeyCache for ``load``."""
    global _instance_keys
    _instance_keys = KeyCache(load)


def instance_key(instance_id):
    return _instance_keys.key(instance_id) if _instance_keys else None
