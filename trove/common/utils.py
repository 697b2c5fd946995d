"""Small helpers with no better home."""

import secrets
import string

_PASSWORD_ALPHABET = string.ascii_letters + string.digits


def generate_password(length=36):
    """A random password of letters and digits (safe in any config)."""
    return ''.join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))
