"""TLS files of this instance's engine: certificates, key and mode.

The control plane sends the server certificate its authority signed, the
private key and the authority's certificate (prepare's ``ssl`` or
ssl_action's ``container``); they live in ``<config_dir>/tls/`` next to
the engine's other files, the key readable by the engine user only. The
mode (``basic``, ``enforced``, ``mtls``) is kept in ``tls/mode`` so every
later rewrite of the configuration (a new base config, a restart of the
agent) renders the same TLS settings. No file there: TLS is off.

Engine specific settings are rendered by the engines
(``tls_settings``); this module must stay engine neutral.
"""

import os

from trove.guestagent import errors
from trove.guestagent import operating_system

MODES = ('basic', 'enforced', 'mtls')
PEM_KEYS = ('certificate', 'private_key', 'ca_certificate')


class TlsFiles:
    """The TLS material of one engine (``engine.config_dir``)."""

    def __init__(self, engine):
        self.engine = engine
        self.directory = os.path.join(engine.config_dir, 'tls')

    @property
    def cert_path(self):
        return os.path.join(self.directory, 'server.crt')

    @property
    def key_path(self):
        return os.path.join(self.directory, 'server.key')

    @property
    def ca_path(self):
        return os.path.join(self.directory, 'ca.crt')

    @property
    def mode_path(self):
        return os.path.join(self.directory, 'mode')

    def mode(self):
        """The mode in force, or None (TLS off)."""
        mode = (operating_system.read_file(self.mode_path) or '').strip()
        if mode in MODES and os.path.exists(self.cert_path):
            return mode
        return None

    def install(self, mode, container):
        """Write the material and the mode (the engine reads them at its
        next start)."""
        if mode not in MODES:
            raise errors.GuestAgentError('Unknown TLS mode %r; expected '
                                         'one of %s.' % (mode,
                                                         ', '.join(MODES)))
        container = container or {}
        missing = [key for key in PEM_KEYS if not container.get(key)]
        if missing and not os.path.exists(self.cert_path):
            raise errors.GuestAgentError(
                'TLS needs %s from the control plane.' % ', '.join(missing))
        operating_system.ensure_dir(self.directory, 0o755)
        if not missing:
            operating_system.write_file(self.ca_path,
                                        container['ca_certificate'])
            operating_system.write_file(self.cert_path,
                                        container['certificate'])
            # PostgreSQL refuses a key others can read.
            operating_system.write_file(self.key_path,
                                        container['private_key'],
                                        mode=0o600, owner=self.engine.user)
        operating_system.write_file(self.mode_path, mode + '\n')

    def remove(self):
        for path in (self.mode_path, self.key_path, self.cert_path,
                     self.ca_path):
            operating_system.remove(path)

    def show(self):
        """What ssl_show answers: status, mode and the certificate."""
        mode = self.mode()
        return {'status': 'on' if mode else 'off', 'mode': mode,
                'certificate': operating_system.read_file(self.cert_path)
                if mode else None}
