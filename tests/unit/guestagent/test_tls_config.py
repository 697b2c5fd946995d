"""The TLS settings a guest renders for its engine (doc/tls.md)."""

import pytest

from trove.conf import CONF
from trove.guestagent import errors
from trove.guestagent.datastore.mariadb import app as mariadb_app
from trove.guestagent.datastore.postgresql import app as pg_app

MATERIAL = {'certificate': 'CERT\n', 'private_key': 'KEY\n',
            'ca_certificate': 'CA\n'}


@pytest.fixture
def state_dir(tmp_path):
    CONF.set_override('guest_state_dir', str(tmp_path))
    try:
        yield tmp_path
    finally:
        CONF.clear_override('guest_state_dir')


def test_mariadb_enforced_requires_secure_transport(state_dir):
    engine = mariadb_app.MariaDBEngine()
    engine.tls.install('enforced', MATERIAL)
    engine.write_base_config('[mysqld]\nmax_connections = 10\n')
    tls = open(engine.tls_config_path).read()
    assert 'ssl_cert = %s' % engine.tls.cert_path in tls
    assert 'ssl_key = %s' % engine.tls.key_path in tls
    assert 'ssl_ca = %s' % engine.tls.ca_path in tls
    assert 'require_secure_transport = ON' in tls
    # Included after the configuration group: a group cannot undo it.
    defaults = open(engine.defaults_file).read()
    assert defaults.index(engine.overrides_dir) < defaults.index(
        engine.tls_config_path)
    assert (state_dir / 'etc' / 'tls' / 'server.key').stat().st_mode \
        & 0o777 == 0o600


def test_mariadb_basic_and_off(state_dir):
    engine = mariadb_app.MariaDBEngine()
    engine.tls.install('basic', MATERIAL)
    engine.write_tls_config()
    assert 'require_secure_transport = OFF' in open(
        engine.tls_config_path).read()
    engine.tls.remove()
    engine.write_tls_config()
    tls = open(engine.tls_config_path).read()
    assert 'ssl_cert' not in tls
    assert engine.tls.show() == {'status': 'off', 'mode': None,
                                 'certificate': None}


def test_postgresql_enforced_only_hostssl(state_dir):
    engine = pg_app.PostgresEngine()
    engine.tls.install('enforced', MATERIAL)
    engine.write_base_config('max_connections = 10\n')
    settings = open(engine.tls_config_path).read()
    assert 'ssl = on' in settings
    assert "ssl_cert_file = '%s'" % engine.tls.cert_path in settings
    assert "ssl_key_file = '%s'" % engine.tls.key_path in settings
    hba = [line.split() for line in open(engine.hba_file)
           if line.strip() and not line.startswith('#')]
    network = [line for line in hba if line[0] != 'local']
    assert network and all(line[0] == 'hostssl' for line in network)
    assert engine.tls.show()['mode'] == 'enforced'


def test_postgresql_hba_of_each_mode():
    assert 'hostssl' not in pg_app.hba_conf(None)
    assert 'hostssl' not in pg_app.hba_conf('basic')
    mtls = pg_app.hba_conf('mtls')
    assert all('clientcert=verify-full' in line
               for line in mtls.splitlines() if line.startswith('hostssl'))


def test_unknown_mode_or_missing_material_is_refused(state_dir):
    engine = pg_app.PostgresEngine()
    with pytest.raises(errors.GuestAgentError):
        engine.tls.install('paranoid', MATERIAL)
    with pytest.raises(errors.GuestAgentError):
        engine.tls.install('basic', {'certificate': 'CERT'})
    assert engine.tls.mode() is None
