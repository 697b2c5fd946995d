"""Small pure parts of the backup code: failure descriptions, WAL file
selection, mariadb-backup files, Swift endpoints from a catalog."""

from trove.common import backup_failure as failure
from trove.backup import storage as control_storage
from trove.common import context as trove_context
from trove.conf import CONF
from trove.guestagent.backup import mariadb, postgresql


def test_failed_description_keeps_the_users_text_within_512():
    assert failure.failed_description(None, 'disk\nfull') == \
        'Backup failed: disk full'
    text = failure.failed_description('weekly', 'boom')
    assert text == 'weekly | Backup failed: boom'
    assert failure.failure_reason(text) == 'boom'
    long = failure.failed_description('d' * 600, 'r' * 100)
    assert len(long) == 512 and long.endswith('Backup failed: ' + 'r' * 100)
    huge = failure.failed_description('', 'r' * 600)
    assert len(huge) == 512 and huge.endswith('...')
    assert failure.failure_reason('just a description') is None


def test_wal_files_between_positions_of_any_timeline():
    names = ['000000010000000000000001', '000000010000000000000002',
             '000000010000000000000002.00000028.backup',
             '000000010000000000000003', '000000020000000000000004',
             '000000020000000000000005', '00000002.history', 'junk']
    assert postgresql.wal_files_between(
        names, '000000010000000000000002', '000000020000000000000004') == \
        sorted(['000000010000000000000002', '000000010000000000000003',
                '000000020000000000000004', '00000002.history'])


def test_mariadb_checkpoints_and_init_file(tmp_path):
    path = tmp_path / 'xtrabackup_checkpoints'
    path.write_text('backup_type = incremental\nfrom_lsn = 10\n'
                    'to_lsn = 4242\nlast_lsn = 4300\n')
    assert mariadb.read_checkpoints(str(path))['to_lsn'] == '4242'
    assert mariadb.read_checkpoints(str(tmp_path / 'missing')) == {}
    sql = mariadb.init_sql('Secret123')
    assert "'os_admin'@'localhost' IDENTIFIED BY 'Secret123'" in sql
    assert 'WITH GRANT OPTION' in sql


def _context(catalog, project='p1'):
    return trove_context.TroveContext(project_id=project,
                                      service_catalog=catalog)


def test_swift_url_from_the_catalog_or_the_option():
    v3 = [{'type': 'identity', 'endpoints': []},
          {'type': 'object-store', 'endpoints': [
              {'interface': 'admin', 'url': 'http://admin/v1/AUTH_p1',
               'region_id': 'RegionOne'},
              {'interface': 'public', 'url': 'http://other/v1/AUTH_p1',
               'region_id': 'Elsewhere'},
              {'interface': 'public', 'url': 'http://public/v1/AUTH_p1',
               'region_id': 'RegionOne'}]}]
    assert control_storage.swift_url(_context(v3)) == \
        'http://public/v1/AUTH_p1'
    v2 = [{'type': 'object-store', 'endpoints': [
        {'publicURL': 'http://v2/v1/AUTH_p1', 'region': 'RegionOne'}]}]
    assert control_storage.swift_url(_context(v2)) == 'http://v2/v1/AUTH_p1'
    assert control_storage.swift_url(_context([])) is None
    CONF.set_override('swift_url', 'http://fixed:8080/v1/AUTH_')
    try:
        assert control_storage.swift_url(_context(v3, 'p9')) == \
            'http://fixed:8080/v1/AUTH_p9'
    finally:
        CONF.clear_override('swift_url')
