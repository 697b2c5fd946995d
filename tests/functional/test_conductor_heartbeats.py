"""The conductor's heartbeat writer on every control-DB backend."""

import random
import threading
import time

import sqlalchemy as sa

from tests.helpers import processes
from trove.common import context as trove_context
from trove.common import states
from trove.conductor import heartbeats
from trove.db import api as db_api
from trove.db import migration
from trove.db import models

HEALTHY = states.ServiceStatuses.HEALTHY
SHUTDOWN = states.ServiceStatuses.SHUTDOWN
RESTART_REQUIRED = states.ServiceStatuses.RESTART_REQUIRED
FAILED = states.ServiceStatuses.FAILED


def _setup(url, count):
    engine = sa.create_engine(url)
    migration.upgrade(engine)
    engine.dispose()
    db_api.configure(url)
    ids = ['00000000-0000-4000-8000-%012d' % i for i in range(count)]
    with db_api.writer(trove_context.get_admin_context()) as session:
        for instance_id in ids:
            session.add(models.ServiceStatusRecord(
                instance_id=instance_id,
                status_id=states.ServiceStatuses.NEW.code,
                status_description='new'))
    return ids


def _column_by_instance(model, column, ids):
    with db_api.reader(trove_context.get_admin_context()) as session:
        return dict(session.query(model.instance_id, column).filter(
            model.instance_id.in_(ids)).all())


def _statuses(ids):
    return _column_by_instance(models.ServiceStatusRecord,
                               models.ServiceStatusRecord.status_description,
                               ids)


def test_batches_keep_the_newest_and_never_regress(control_db_url):
    ids = _setup(control_db_url, 3)
    try:
        recorder = heartbeats.HeartbeatRecorder(interval=0, batch_size=100)
        recorder.write([
            heartbeats.Heartbeat(ids[0], 10.0, HEALTHY),
            heartbeats.Heartbeat(ids[0], 5.0, SHUTDOWN),   # older: dropped
            heartbeats.Heartbeat(ids[1], 10.0, SHUTDOWN),
        ])
        assert _statuses(ids[:2]) == {ids[0]: 'healthy', ids[1]: 'shutdown'}
        # A later batch with a stale stamp does not regress the status.
        recorder.write([heartbeats.Heartbeat(ids[0], 9.5, SHUTDOWN),
                        heartbeats.Heartbeat(ids[1], 11.0, HEALTHY)])
        assert _statuses(ids[:2]) == {ids[0]: 'healthy', ids[1]: 'healthy'}
        # An equal stamp is a duplicate delivery: dropped as upstream does.
        recorder.write([heartbeats.Heartbeat(ids[1], 11.0, SHUTDOWN)])
        assert _statuses([ids[1]]) == {ids[1]: 'healthy'}
        assert recorder.dropped == 3
    finally:
        db_api.configure()


def _faults(ids):
    return _column_by_instance(models.InstanceFault,
                               models.InstanceFault.message, ids)


def test_a_later_repeat_in_the_batch_keeps_an_earlier_fault_and_status(
        control_db_url):
    # A failed prepare's heartbeat (status and fault in one message) and
    # the agent's next periodic one may land in one batch (a busy
    # conductor); a write per message would have recorded both.
    ids = _setup(control_db_url, 2)
    try:
        with db_api.writer(trove_context.get_admin_context()) as session:
            for instance_id in ids:     # a fault names its instance's row
                session.add(models.Instance(id=instance_id, name='i',
                                            tenant_id='t'))
        recorder = heartbeats.HeartbeatRecorder(interval=0, batch_size=100)
        recorder.write([
            heartbeats.Heartbeat(ids[0], 10.0, FAILED,
                                 {'message': 'bogus_setting_xyz',
                                  'details': 'line 3'}),
            heartbeats.Heartbeat(ids[0], 11.0, FAILED),
            heartbeats.Heartbeat(ids[1], 10.0, SHUTDOWN),
            # A status this conductor does not know: it only refreshes.
            heartbeats.Heartbeat(ids[1], 11.0, None),
        ])
        assert _statuses(ids) == {ids[0]: 'failed to spawn',
                                  ids[1]: 'shutdown'}
        assert _faults(ids) == {ids[0]: 'bogus_setting_xyz'}
        # What is carried is ordered on its own: older than the stamp
        # (11.0), it is not written although the heartbeat carrying it is.
        recorder.write([
            heartbeats.Heartbeat(ids[1], 9.0, HEALTHY,
                                 {'message': 'old news'}),
            heartbeats.Heartbeat(ids[1], 12.0, None),
        ])
        assert _statuses([ids[1]]) == {ids[1]: 'shutdown'}
        assert _faults([ids[1]]) == {}
        assert _column_by_instance(
            models.ConductorLastSeen, models.ConductorLastSeen.sent,
            [ids[1]]) == {ids[1]: 12.0}
        # Nor is one that came after a newer one of the same batch (late,
        # it would have been dropped).
        recorder.write([
            heartbeats.Heartbeat(ids[1], 13.0, HEALTHY),
            heartbeats.Heartbeat(ids[1], 12.5, SHUTDOWN,
                                 {'message': 'late news'}),
            heartbeats.Heartbeat(ids[1], 14.0, None),
        ])
        assert _statuses([ids[1]]) == {ids[1]: 'healthy'}
        assert _faults([ids[1]]) == {}
    finally:
        db_api.configure()


def test_restart_required_is_kept_but_refreshed(control_db_url):
    ids = _setup(control_db_url, 1)
    try:
        context = trove_context.get_admin_context()
        with db_api.writer(context) as session:
            session.query(models.ServiceStatusRecord).update({
                'status_id': RESTART_REQUIRED.code,
                'status_description': RESTART_REQUIRED.description,
                'updated_at': None})
        heartbeats.HeartbeatRecorder(0, 10).write(
            [heartbeats.Heartbeat(ids[0], 1.0, HEALTHY)])
        with db_api.reader(context) as session:
            row = session.query(models.ServiceStatusRecord).one()
        assert row.status_description == 'restart required'
        assert row.updated_at is not None
    finally:
        db_api.configure()


def test_background_writer_flushes_on_stop(control_db_url):
    ids = _setup(control_db_url, 50)
    try:
        recorder = heartbeats.HeartbeatRecorder(interval=0.05, batch_size=20)
        recorder.start()
        for index, instance_id in enumerate(ids):
            recorder.add(heartbeats.Heartbeat(instance_id, 100.0 + index,
                                              HEALTHY))
        recorder.stop()
        assert set(_statuses(ids).values()) == {'healthy'}
        assert recorder.written == 50
    finally:
        db_api.configure()


def _last_seen(ids):
    return _column_by_instance(models.ConductorLastSeen,
                               models.ConductorLastSeen.sent, ids)


def test_a_large_batch_gives_each_instance_its_own_values(control_db_url):
    """Batches span several UPDATE chunks; no value lands on a neighbour's
    row, stamps included, and heartbeats without a status only touch."""
    ids = _setup(control_db_url, 2 * heartbeats._CHUNK + 7)
    try:
        recorder = heartbeats.HeartbeatRecorder(interval=0, batch_size=1000)
        first = [heartbeats.Heartbeat(instance_id, 1000.0 + index,
                                      HEALTHY if index % 2 else SHUTDOWN)
                 for index, instance_id in enumerate(ids)]
        recorder.write(first)
        expected = {beat.instance_id: beat.status.description
                    for beat in first}
        assert _statuses(ids) == expected
        assert _last_seen(ids) == {beat.instance_id: beat.sent
                                   for beat in first}
        # Second batch: the stamps rows now exist (the UPDATE path), odd
        # instances report no status (touched, status unchanged).
        second = [heartbeats.Heartbeat(
                      instance_id, 5000.0 + index,
                      None if index % 2 else RESTART_REQUIRED)
                  for index, instance_id in enumerate(ids)]
        recorder.write(second)
        expected = {beat.instance_id: (
                        'restart required' if beat.status else
                        expected[beat.instance_id])
                    for beat in second}
        assert _statuses(ids) == expected
        assert _last_seen(ids) == {beat.instance_id: beat.sent
                                   for beat in second}
        assert recorder.written == 2 * len(ids)
    finally:
        db_api.configure()


def _wait_for(predicate):
    processes.wait_until(predicate, timeout=10.0, interval=0.02,
                         message='not written in 10 s')


def test_a_status_change_is_written_at_once_a_repeat_waits(control_db_url):
    """A repeated status waits for the steady interval (here far longer
    than the test); a change is written within the batch interval and
    carries the waiting repeats with it."""
    ids = _setup(control_db_url, 2)
    recorder = heartbeats.HeartbeatRecorder(interval=0.05, batch_size=100,
                                            steady_interval=300)
    recorder.start()
    try:
        recorder.add(heartbeats.Heartbeat(ids[0], 1.0, HEALTHY))
        _wait_for(lambda: _statuses([ids[0]]) == {ids[0]: 'healthy'})
        recorder.add(heartbeats.Heartbeat(ids[0], 2.0, HEALTHY))
        time.sleep(1.0)
        assert _last_seen([ids[0]]) == {ids[0]: 1.0}
        recorder.add(heartbeats.Heartbeat(ids[1], 3.0, SHUTDOWN))
        _wait_for(lambda: _statuses([ids[1]]) == {ids[1]: 'shutdown'})
        assert _last_seen(ids) == {ids[0]: 2.0, ids[1]: 3.0}
        # And so is the next change.
        recorder.add(heartbeats.Heartbeat(ids[1], 4.0, HEALTHY))
        _wait_for(lambda: _statuses([ids[1]]) == {ids[1]: 'healthy'})
    finally:
        recorder.stop()
        db_api.configure()
    assert recorder.written == 4


def test_two_conductors_share_the_load_and_keep_the_order(control_db_url):
    """Two conductors (two recorders writing concurrently, as two
    processes do) receive the heartbeats of the same instances in any
    order: the newest of each instance wins, none regresses, and every
    heartbeat is written or dropped by exactly one of them."""
    ids = _setup(control_db_url, 40)
    try:
        first = heartbeats.HeartbeatRecorder(interval=0, batch_size=100)
        second = heartbeats.HeartbeatRecorder(interval=0, batch_size=100)
        rounds = 30
        # Each instance reports rounds statuses; the last one (highest
        # "sent") says healthy, every earlier one shutdown.
        beats = [heartbeats.Heartbeat(
            instance_id, float(n),
            HEALTHY if n == rounds - 1 else SHUTDOWN)
            for n in range(rounds) for instance_id in ids]
        # Delivered out of order: each conductor gets a shuffled half.
        random.shuffle(beats)
        halves = [beats[0::2], beats[1::2]]
        errors = []

        def deliver(recorder, part):
            try:
                for start in range(0, len(part), 37):
                    recorder.write(part[start:start + 37])
            except Exception as error:   # a deadlock not retried, say
                errors.append(error)

        threads = [threading.Thread(target=deliver, args=pair)
                   for pair in zip((first, second), halves)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert errors == []
        assert set(_statuses(ids).values()) == {'healthy'}
        stamps = _column_by_instance(models.ConductorLastSeen,
                                     models.ConductorLastSeen.sent, ids)
        assert set(stamps.values()) == {float(rounds - 1)}
        # Both took part; nothing was lost or counted twice.
        assert first.written and second.written
        assert first.written + second.written + first.dropped + \
            second.dropped >= len(beats)
    finally:
        db_api.configure()


def test_heartbeats_of_unknown_instances_write_nothing(control_db_url):
    ids = _setup(control_db_url, 1)
    stranger = '00000000-0000-4000-8000-999999999999'
    try:
        recorder = heartbeats.HeartbeatRecorder(interval=0, batch_size=10)
        recorder.write([heartbeats.Heartbeat(ids[0], 1.0, HEALTHY),
                        heartbeats.Heartbeat(stranger, 1.0, HEALTHY,
                                             {'message': 'x'})])
        assert _statuses(ids) == {ids[0]: 'healthy'}
        assert _column_by_instance(models.ConductorLastSeen,
                                   models.ConductorLastSeen.sent,
                                   [stranger]) == {}
        with db_api.reader(trove_context.get_admin_context()) as session:
            assert session.query(models.InstanceFault).count() == 0
    finally:
        db_api.configure()


def test_guest_clock_skew_does_not_freeze_the_status(control_db_url):
    """A stamp from the future counts as its arrival time; a clock set
    back by more than conductor_clock_jump restarts the ordering."""
    ids = _setup(control_db_url, 2)
    try:
        recorder = heartbeats.HeartbeatRecorder(interval=0, batch_size=100)
        now = time.time()
        ahead = heartbeats.received_stamp(now + 3600)
        assert ahead <= time.time()
        recorder.write([heartbeats.Heartbeat(ids[0], ahead, SHUTDOWN)])
        # The guest's next heartbeat, a few seconds later by the real
        # clock: applied (it would be dropped for an hour otherwise).
        time.sleep(0.05)
        recorder.write([heartbeats.Heartbeat(
            ids[0], heartbeats.received_stamp(time.time()), HEALTHY)])
        assert _statuses([ids[0]]) == {ids[0]: 'healthy'}

        # Clock set back by an hour after a heartbeat: the next ones are
        # applied; a merely late one (seconds older) is still dropped.
        recorder.write([heartbeats.Heartbeat(ids[1], now, HEALTHY)])
        recorder.write([heartbeats.Heartbeat(ids[1], now - 3600, SHUTDOWN)])
        assert _statuses([ids[1]]) == {ids[1]: 'shutdown'}
        recorder.write([heartbeats.Heartbeat(ids[1], now - 3599, HEALTHY)])
        recorder.write([heartbeats.Heartbeat(ids[1], now - 3605, SHUTDOWN)])
        assert _statuses([ids[1]]) == {ids[1]: 'healthy'}
    finally:
        db_api.configure()
