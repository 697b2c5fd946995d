"""The guest's archiver with the real local storage and gzip: files a
source reports closed are shipped once (gzipped, checksummed), one deleted
from the storage is reported missing, old ones are never deleted by the
guest (the taskmanager prunes them), and a period with archiving off is
one ``off`` marker, the files closed meanwhile left out."""

import gzip
import os
import time

import pytest

from trove.conf import CONF
from trove.guestagent.backup import archiver
from trove.storage import local


class DirectorySource:
    """Closed files are those in a directory (as PostgreSQL's archive)."""

    kind = 'wal'

    def __init__(self, directory):
        self.directory = directory

    def closed_files(self, rotate=True):
        names = sorted(os.listdir(self.directory))
        return [(n, os.path.join(self.directory, n),
                 os.path.getmtime(os.path.join(self.directory, n)))
                for n in names]

    def describe(self, name, path):
        return {'seq': int(name), 'first_event': 1.0, 'last_event': 2.0}


@pytest.fixture
def setup(tmp_path):
    CONF.set_override('guest_state_dir', str(tmp_path / 'state'))
    os.makedirs(tmp_path / 'state')
    os.makedirs(tmp_path / 'logs')
    reported = []
    source = DirectorySource(str(tmp_path / 'logs'))
    shipper = archiver.Archiver(
        source, instance_id='inst-1',
        storage=local.LocalStorage(str(tmp_path / 'store')),
        reporter=reported.extend)
    yield tmp_path, shipper, reported
    CONF.clear_override('guest_state_dir')
    CONF.clear_override('pitr_retention_days')


def test_ship_verify_and_never_prune(setup):
    tmp_path, shipper, reported = setup
    (tmp_path / 'logs' / '1').write_bytes(b'one' * 1000)
    (tmp_path / 'logs' / '2').write_bytes(b'two' * 1000)
    shipper.run_once()
    assert [(e['name'], e['state']) for e in reported] == [
        ('1', 'archived'), ('2', 'archived')]
    first = reported[0]
    path = first['location'][len('file://'):]
    assert path.endswith('/database_pitr/inst-1.1.gz')
    with gzip.open(path) as shipped:
        assert shipped.read() == b'one' * 1000
    # The second file opens where the first closed: the runs are gapless.
    assert reported[1]['opened_at'] == first['closed_at']

    reported.clear()
    shipper.run_once()
    assert reported == []           # nothing shipped twice

    os.unlink(path)
    shipper.run_once()
    assert [(e['name'], e['state']) for e in reported] == [('1', 'missing')]
    assert 'missing' in reported[0]['reason']

    reported.clear()
    old = time.time() - 3 * 86400
    CONF.set_override('pitr_retention_days', 1)
    index = archiver.Index()
    for entry in index.entries.values():
        entry['closed_at'] = old
    index.save()
    shipper.run_once()
    # Past the retention, still there: the guest does not prune.
    assert reported == []
    assert os.path.exists(os.path.join(
        tmp_path, 'store', 'database_pitr', 'inst-1.2.gz'))

    # The missing file also gone from the disk: forgotten locally.
    os.unlink(tmp_path / 'logs' / '1')
    shipper.run_once()
    assert set(archiver.Index().entries) == {'2'}
    assert reported == []


def test_a_corrupt_object_is_found_in_turn(setup, monkeypatch):
    tmp_path, shipper, reported = setup
    monkeypatch.setattr(archiver, 'CHECKSUMS_PER_PASS', 2)
    for number in range(1, 6):
        (tmp_path / 'logs' / str(number)).write_bytes(b'x%d' % number * 500)
    shipper.run_once()
    assert len(reported) == 5
    locations = {e['name']: e['location'][len('file://'):] for e in reported}
    reported.clear()
    # Same size, other bytes: only the checksum tells.
    with open(locations['5'], 'r+b') as stored:
        stored.seek(10)
        stored.write(b'\xff\xff')
    shipper.run_once()              # the first pass read 1 and 2; 3, 4
    shipper.run_once()              # ... and on, wrapping around
    shipper.run_once()
    assert [(e['name'], e['state']) for e in reported] == [('5', 'missing')]
    assert 'corrupt' in reported[0]['reason']
    # Found once: not reported again.
    reported.clear()
    shipper.run_once()
    assert reported == []


def test_next_in_turn_wraps_around():
    names = ['a', 'b', 'c']
    assert archiver._next_in_turn(names, None, 2) == ['a', 'b']
    assert archiver._next_in_turn(names, 'b', 2) == ['c', 'a']
    assert archiver._next_in_turn(names, 'c', 5) == ['a', 'b', 'c']
    assert archiver._next_in_turn([], 'c', 2) == []


def test_archiving_off_then_on_is_one_marker(setup):
    tmp_path, shipper, reported = setup
    (tmp_path / 'logs' / '1').write_bytes(b'one')
    shipper.run_once()
    shipped_close = reported[0]['closed_at']
    reported.clear()

    shipper.run_once(enabled=False)
    [marker] = reported
    assert (marker['kind'], marker['state']) == ('off', 'off')
    assert marker['opened_at'] == shipped_close
    assert marker['closed_at'] is None
    assert 'pitr_enabled = false' in marker['reason']
    # Closed while off: never shipped.
    (tmp_path / 'logs' / '2').write_bytes(b'two')
    reported.clear()
    shipper.run_once(enabled=False)
    assert reported == []           # the marker is reported once

    before = time.time()
    shipper.run_once()
    [closed] = reported
    assert closed['name'] == marker['name']
    assert closed['closed_at'] >= before
    (tmp_path / 'logs' / '3').write_bytes(b'three')
    reported.clear()
    shipper.run_once()
    assert [(e['name'], e['state']) for e in reported] == [('3', 'archived')]
    # The next file opens where the period with archiving off closed.
    assert reported[0]['opened_at'] == closed['closed_at']


def test_engine_not_archiving_is_a_marker(setup):
    tmp_path, shipper, reported = setup
    (tmp_path / 'logs' / '1').write_bytes(b'one')
    shipper.run_once()
    reported.clear()
    shipper.source.not_archiving = lambda: 'log_bin off'
    shipper.run_once()
    assert [(e['state'], e['reason']) for e in reported] == [
        ('off', 'log_bin off')]
