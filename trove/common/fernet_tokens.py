"""Fernet tokens on the OpenSSL this Python already loads.

A Fernet token (the published Fernet spec; `cryptography`'s Fernet makes
and opens the same tokens) is, in URL-safe base64: the version byte
0x80, the time (8 bytes, big-endian), a random 16-byte IV, the
AES-128-CBC ciphertext (PKCS#7 padding) and an HMAC-SHA256 of all that.
A 32-byte key is the HMAC key (first half) and the AES key (second).

Why not `cryptography` itself: its OpenSSL is a copy of its own, about
7 MB more in every process that imports it, and every guest agent seals
its messages (issue 26: an agent under 40 MB). Here AES runs in the
libcrypto that Python's own ``_ssl``/``_hashlib`` map (found in
/proc/self/maps, called through ctypes) and the HMAC in ``hmac``. Where
that libcrypto cannot be found, `cryptography` does the AES.
"""

import base64
import binascii
import ctypes
import hashlib
import hmac
import os
import struct
import threading
import time

import _hashlib  # noqa: F401  (maps libcrypto into the process)

VERSION = b'\x80'
BLOCK = 16
_HEADER = 1 + 8 + BLOCK
_MAC = 32


class InvalidToken(Exception):
    """Not a token, or not made with this key."""


def generate_key():
    return base64.urlsafe_b64encode(os.urandom(32))


def _split_key(key):
    try:
        raw = base64.urlsafe_b64decode(key)
    except (binascii.Error, ValueError, TypeError) as error:
        raise ValueError('a Fernet key is 32 bytes in URL-safe base64') \
            from error
    if len(raw) != 32:
        raise ValueError('a Fernet key is 32 bytes in URL-safe base64')
    return raw[:16], raw[16:]


def encrypt(key, data, now=None, iv=None):
    signing, encryption = _split_key(key)
    iv = iv or os.urandom(BLOCK)
    stamp = int(time.time() if now is None else now)
    body = (VERSION + struct.pack('>Q', stamp) + iv
            + _aes().encrypt(encryption, iv, data))
    mac = hmac.new(signing, body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(body + mac)


def decrypt(key, token):
    signing, encryption = _split_key(key)
    if isinstance(token, str):
        token = token.encode('ascii', 'replace')
    try:
        raw = base64.urlsafe_b64decode(token)
    except (binascii.Error, ValueError, TypeError) as error:
        raise InvalidToken('not a Fernet token') from error
    if (len(raw) < _HEADER + BLOCK + _MAC or raw[:1] != VERSION
            or (len(raw) - _HEADER - _MAC) % BLOCK):
        raise InvalidToken('not a Fernet token')
    body, mac = raw[:-_MAC], raw[-_MAC:]
    if not hmac.compare_digest(
            hmac.new(signing, body, hashlib.sha256).digest(), mac):
        raise InvalidToken('the token was not made with this key')
    iv = body[9:_HEADER]
    return _aes().decrypt(encryption, iv, body[_HEADER:])


class _OpenSSLAes:
    """AES-128-CBC with PKCS#7 padding through libcrypto's EVP API."""

    def __init__(self, library):
        lib = ctypes.CDLL(library)
        pointer, integer = ctypes.c_void_p, ctypes.c_int
        lib.EVP_CIPHER_CTX_new.restype = pointer
        lib.EVP_CIPHER_CTX_new.argtypes = []
        lib.EVP_CIPHER_CTX_free.restype = None
        lib.EVP_CIPHER_CTX_free.argtypes = [pointer]
        lib.EVP_aes_128_cbc.restype = pointer
        lib.EVP_aes_128_cbc.argtypes = []
        self._lib = lib
        # (init, update, final) of each direction, typed once.
        self._steps = {}
        for step in ('Encrypt', 'Decrypt'):
            init = getattr(lib, 'EVP_%sInit_ex' % step)
            init.restype = integer
            init.argtypes = [pointer, pointer, pointer, ctypes.c_char_p,
                             ctypes.c_char_p]
            update = getattr(lib, 'EVP_%sUpdate' % step)
            update.restype = integer
            update.argtypes = [pointer, pointer, ctypes.POINTER(integer),
                               ctypes.c_char_p, integer]
            final = getattr(lib, 'EVP_%sFinal_ex' % step)
            final.restype = integer
            final.argtypes = [pointer, pointer, ctypes.POINTER(integer)]
            self._steps[step] = (init, update, final)

    def _run(self, step, key, iv, data):
        lib = self._lib
        init, update, final = self._steps[step]
        context = lib.EVP_CIPHER_CTX_new()
        if not context:
            raise MemoryError('EVP_CIPHER_CTX_new failed')
        try:
            out = ctypes.create_string_buffer(len(data) + BLOCK)
            written, last = ctypes.c_int(0), ctypes.c_int(0)
            address = ctypes.addressof(out)
            ok = (init(context, lib.EVP_aes_128_cbc(), None, key, iv)
                  and update(context, address, ctypes.byref(written),
                             data, len(data))
                  and final(context, address + written.value,
                            ctypes.byref(last)))
            if not ok:
                raise InvalidToken('the token does not decrypt')
            return out.raw[:written.value + last.value]
        finally:
            lib.EVP_CIPHER_CTX_free(context)

    def encrypt(self, key, iv, data):
        return self._run('Encrypt', key, iv, data)

    def decrypt(self, key, iv, data):
        return self._run('Decrypt', key, iv, data)


class _CryptographyAes:
    def __init__(self):
        from cryptography.hazmat.primitives import padding
        from cryptography.hazmat.primitives.ciphers import Cipher
        from cryptography.hazmat.primitives.ciphers import algorithms, modes
        self._cipher = lambda key, iv: Cipher(algorithms.AES(key),
                                              modes.CBC(iv))
        self._padding = padding.PKCS7(128)

    def encrypt(self, key, iv, data):
        padder = self._padding.padder()
        padded = padder.update(data) + padder.finalize()
        encryptor = self._cipher(key, iv).encryptor()
        return encryptor.update(padded) + encryptor.finalize()

    def decrypt(self, key, iv, data):
        try:
            decryptor = self._cipher(key, iv).decryptor()
            padded = decryptor.update(data) + decryptor.finalize()
            unpadder = self._padding.unpadder()
            return unpadder.update(padded) + unpadder.finalize()
        except ValueError as error:
            raise InvalidToken('the token does not decrypt') from error


def mapped_libcrypto(maps='/proc/self/maps'):
    """The path of the libcrypto mapped into this process, or None."""
    try:
        with open(maps) as lines:
            for line in lines:
                path = line.split(None, 5)[-1].strip()
                if os.path.basename(path).startswith('libcrypto.so'):
                    return path
    except OSError:
        pass
    return None


_aes_impl = None
_aes_lock = threading.Lock()


def _aes():
    global _aes_impl
    if _aes_impl is not None:   # every seal and unseal: no lock once made
        return _aes_impl
    with _aes_lock:
        if _aes_impl is None:
            library = mapped_libcrypto()
            try:
                _aes_impl = _OpenSSLAes(library) if library else None
            except (OSError, AttributeError):
                _aes_impl = None
            if _aes_impl is None:
                _aes_impl = _CryptographyAes()
        return _aes_impl
