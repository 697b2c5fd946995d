"""TLS of instances in the control DB: the one reader and writer of
``instances.ssl_mode`` and ``instances.ssl_ref``.

``ssl_mode`` is the mode a user asked for (NULL: TLS off), written by the
API. ``ssl_ref`` (upstream: a Barbican reference) holds JSON the
taskmanager writes once the guest has the material: the mode the engine
now runs with (``applied_mode``) and the public facts of the server
certificate it was given (PEM, common name, SANs, serial, expiry). The
private key is never stored: it travels once, in the (sealed) message to
the guest.
"""

import dataclasses
import json

import sqlalchemy as sa

from trove.db import api as db_api
from trove.db import models as db_models

Row = db_models.Instance
MODES = ('basic', 'enforced', 'mtls')


@dataclasses.dataclass
class TlsState:
    mode: str | None            # asked for
    applied_mode: str | None    # the engine's
    certificate: dict | None    # {certificate (PEM), cn, san, serial,
                                #  expire_at} of the server certificate

    @property
    def pending(self):
        return self.mode != self.applied_mode


def _state(row):
    try:
        ref = json.loads(row.ssl_ref) if row.ssl_ref else {}
    except ValueError:
        ref = {}
    if not isinstance(ref, dict):
        ref = {}
    return TlsState(mode=row.ssl_mode or None,
                    applied_mode=ref.get('applied_mode'),
                    certificate=ref.get('certificate'))


def get(context, instance_id):
    with db_api.reader(context) as session:
        row = session.get(Row, instance_id)
        return None if row is None else _state(row)


def state_of(row):
    """The TlsState of an instance row already loaded."""
    return _state(row)


def request_mode(context, instance_id, mode):
    """The API: the user asked for ``mode`` (None: off)."""
    with db_api.writer(context) as session:
        session.execute(sa.update(Row).where(Row.id == instance_id)
                        .values(ssl_mode=mode))


def record_applied(context, instance_id, mode, certificate=None):
    """The taskmanager: the guest runs ``mode`` with ``certificate``
    (None keeps the one recorded; TLS off forgets it)."""
    with db_api.writer(context) as session:
        row = session.get(Row, instance_id)
        if row is None:
            return
        current = _state(row)
        if mode is None:
            certificate = None
        elif certificate is None:
            certificate = current.certificate
        row.ssl_ref = json.dumps({'applied_mode': mode,
                                  'certificate': certificate})
