"""Encrypting secrets kept in the control database (module contents).

As upstream: AES-256-CBC whose key is the MD5 hex digest of the
configured key (32 ASCII bytes), a random 16-byte IV before the
ciphertext, PKCS#7 padding, the whole base64-encoded as text.
"""

import base64
import hashlib
import os

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 16


def _key(key):
    return hashlib.md5(key.encode('utf-8'),
                       usedforsecurity=False).hexdigest().encode('ascii')


def encrypt(data, key):
    """Text (str or bytes) -> base64 text of IV + ciphertext."""
    if isinstance(data, str):
        data = data.encode('utf-8')
    iv = os.urandom(BLOCK)
    padder = padding.PKCS7(BLOCK * 8).padder()
    padded = padder.update(data) + padder.finalize()
    encryptor = Cipher(algorithms.AES(_key(key)), modes.CBC(iv)).encryptor()
    return base64.b64encode(
        iv + encryptor.update(padded) + encryptor.finalize()).decode('ascii')


def decrypt(text, key):
    """The inverse of ``encrypt``: the original bytes."""
    raw = base64.b64decode(text)
    iv, body = raw[:BLOCK], raw[BLOCK:]
    decryptor = Cipher(algorithms.AES(_key(key)), modes.CBC(iv)).decryptor()
    padded = decryptor.update(body) + decryptor.finalize()
    unpadder = padding.PKCS7(BLOCK * 8).unpadder()
    return unpadder.update(padded) + unpadder.finalize()
