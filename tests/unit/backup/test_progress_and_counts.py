"""Pure parts of backup progress and row counts: the percent and ETA of a
report, the bytes a process read, the data size of a MariaDB data
directory, and which row counts a backup records."""

import io
import os
import subprocess
import time

import pytest

from trove.conf import CONF
from trove.guestagent.backup import runner
from trove.guestagent.datastore import table_checks
from trove.guestagent.datastore.mysql_common import table_stats


def test_progress_has_percent_and_eta_only_with_a_total():
    assert runner.progress_fields(500, 2.04) == {'bytes_written': 500,
                                                 'elapsed_s': 2.0}
    assert runner.progress_fields(500, 10, done=250, total=1000) == {
        'bytes_written': 500, 'elapsed_s': 10, 'total_bytes': 1000,
        'percent': 25, 'eta_s': 30}
    # More read than estimated: 99 until the backup ends, no negative ETA.
    late = runner.progress_fields(500, 10, done=1500, total=1000)
    assert (late['percent'], late['eta_s']) == (99, 0)
    assert 'eta_s' not in runner.progress_fields(0, 1, done=0, total=1000)


def test_the_reader_reports_the_percent_of_what_the_compressor_read():
    reports = []
    ticks = iter(range(0, 100, 2))
    done = iter([100, 300, 600])
    reader = runner.ProgressReader(
        io.BytesIO(b'x' * 30), lambda **f: reports.append(f['progress']),
        interval=2, clock=lambda: next(ticks), total=1000,
        done=lambda: next(done))
    while reader.read(10):
        pass
    assert [r.count('"percent"') for r in reports] == [1, 1, 1]
    assert '"percent": 60' in reports[-1]


def test_bytes_read_by_a_process_come_from_proc():
    if not os.path.exists('/proc/self/io'):
        pytest.skip('no /proc/<pid>/io here')
    process = subprocess.Popen(['cat'], stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL)
    try:
        process.stdin.write(b'y' * 100000)
        process.stdin.flush()
        deadline = time.monotonic() + 10
        read = runner.bytes_read_by(process.pid)
        while read < 100000 and time.monotonic() < deadline:
            time.sleep(0.05)
            read = runner.bytes_read_by(process.pid)
        assert read >= 100000
    finally:
        process.stdin.close()
        process.wait()
    assert runner.bytes_read_by(process.pid) is None


def test_the_data_size_leaves_out_redo_and_binary_logs(tmp_path):
    (tmp_path / 'shop').mkdir()
    for name, size in (('ibdata1', 1000), ('shop/orders.ibd', 500),
                       ('ib_logfile0', 9000), ('mysql-bin.000001', 7000),
                       ('mysql-bin.index', 10)):
        (tmp_path / name).write_bytes(b'0' * size)
    assert table_stats.data_size(str(tmp_path)) == 1500


class FakeStats:
    def __init__(self, estimate, rounds):
        self.estimate = estimate
        self.rounds = iter(rounds)
        self.methods = []

    def estimated_total(self, admin):
        return self.estimate

    def row_counts(self, admin, method, max_tables):
        self.methods.append(method)
        return next(self.rounds), False


class FakeEngine:
    def __init__(self, stats):
        self.stats = stats

    def table_stats(self):
        return self.stats

    def admin(self):
        return object()


@pytest.fixture
def limits():
    CONF.set_override('backup_row_count_exact_limit', 100)
    yield
    CONF.clear_override('backup_row_count_exact_limit')


def test_exact_counts_leave_out_tables_written_during_the_backup(limits):
    stats = FakeStats(50, [{'a.t': 1, 'a.busy': 5},
                           {'a.t': 1, 'a.busy': 7, 'a.new': 1}])
    engine = FakeEngine(stats)
    recorded = table_checks.record(engine, table_checks.begin(engine))
    assert (recorded['method'], recorded['tables'], recorded['changed']) == (
        'exact', {'a.t': 1}, ['a.busy', 'a.new'])
    assert stats.methods == ['exact', 'exact']


def test_many_rows_record_the_estimates_once(limits):
    stats = FakeStats(500, [{'a.t': 480}])
    engine = FakeEngine(stats)
    recorded = table_checks.record(engine, table_checks.begin(engine))
    assert (recorded['method'], recorded['tables']) == ('estimated',
                                                        {'a.t': 480})
    assert stats.methods == ['estimated']


def test_counts_that_cannot_be_taken_record_nothing(limits):
    class Broken(FakeStats):
        def estimated_total(self, admin):
            raise OSError('no socket')
    engine = FakeEngine(Broken(0, []))
    assert table_checks.record(engine, table_checks.begin(engine)) is None
    assert table_checks.record(FakeEngine(None), None) is None


def test_a_restore_reports_bytes_written_and_ends_at_100_percent():
    from trove.guestagent.backup import restorer
    reports = []
    ticks = iter(range(0, 100, 1))
    progress = restorer.RestoreProgress('b1', reports.append, total=1000,
                                        interval=2,
                                        clock=lambda: next(ticks))
    for _chunk in range(4):
        progress.add(250)
    progress.finish()
    assert [(r['bytes_written'], r['percent']) for r in reports] == [
        (500, 50), (1000, 99), (1000, 100)]
    assert all(r['backup_id'] == 'b1' for r in reports)
    unknown = restorer.RestoreProgress('b2', reports.append, total=None)
    unknown.add(10)
    unknown.finish()
    assert 'percent' not in reports[-1] and reports[-1]['bytes_written'] == 10
