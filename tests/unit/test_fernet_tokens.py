"""Fernet tokens on Python's own libcrypto (trove.common.fernet_tokens)
are the tokens `cryptography`'s Fernet makes and opens."""

import base64

from cryptography import fernet
from hypothesis import given
from hypothesis import strategies as st
import pytest

from trove.common import fernet_tokens


def test_the_aes_runs_in_the_libcrypto_python_maps():
    assert fernet_tokens.mapped_libcrypto()
    assert type(fernet_tokens._aes()).__name__ == '_OpenSSLAes'


@given(st.binary(max_size=600))
def test_tokens_open_both_ways(data):
    key = fernet_tokens.generate_key()
    assert fernet.Fernet(key).decrypt(fernet_tokens.encrypt(key, data)) \
        == data
    assert fernet_tokens.decrypt(key, fernet.Fernet(key).encrypt(data)) \
        == data


def test_the_same_iv_and_time_make_the_same_token_as_cryptography():
    key = fernet_tokens.generate_key()
    iv = bytes(range(16))
    ours = fernet_tokens.encrypt(key, b'sealed', now=1_700_000_000, iv=iv)
    theirs = fernet.Fernet(key)._encrypt_from_parts(b'sealed',
                                                    1_700_000_000, iv)
    assert ours == theirs


def test_another_key_or_a_changed_byte_does_not_open():
    key = fernet_tokens.generate_key()
    token = fernet_tokens.encrypt(key, b'payload')
    with pytest.raises(fernet_tokens.InvalidToken):
        fernet_tokens.decrypt(fernet_tokens.generate_key(), token)
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[30] ^= 1
    with pytest.raises(fernet_tokens.InvalidToken):
        fernet_tokens.decrypt(key, base64.urlsafe_b64encode(bytes(raw)))
    for junk in (b'', b'not base64 at all!', token[:20], 'ünïcode'):
        with pytest.raises(fernet_tokens.InvalidToken):
            fernet_tokens.decrypt(key, junk)
    with pytest.raises(ValueError):
        fernet_tokens.encrypt(b'short', b'x')


def test_without_that_libcrypto_cryptography_does_the_aes(monkeypatch):
    monkeypatch.setattr(fernet_tokens, '_aes_impl', None)
    monkeypatch.setattr(fernet_tokens, 'mapped_libcrypto', lambda: None)
    key = fernet_tokens.generate_key()
    token = fernet_tokens.encrypt(key, b'fallback')
    assert type(fernet_tokens._aes()).__name__ == '_CryptographyAes'
    assert fernet.Fernet(key).decrypt(token) == b'fallback'
    assert fernet_tokens.decrypt(key, token) == b'fallback'
    monkeypatch.setattr(fernet_tokens, '_aes_impl', None)
