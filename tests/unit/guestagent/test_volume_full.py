"""A full data volume: the words of its fault, reported once per time it
fills, and a backup refused."""

from unittest import mock

import pytest

from trove.common import failures
from trove.guestagent import volume
from trove.guestagent.backup import runner
from trove.guestagent.datastore import manager as guest_manager

GB = 1024 ** 3


def _stats(total_gb, avail_bytes):
    blocks = int(total_gb * GB) // 4096
    return volume._stats(4096, blocks, avail_bytes // 4096,
                         avail_bytes // 4096)


def test_full_message():
    assert volume.full_message(_stats(1, GB // 2)) is None
    message = volume.full_message(_stats(1, 4096))
    assert message.startswith('The data volume is full: 1.00 of 1.00 GB '
                              'used, 0 MB free.')
    assert 'resize the volume' in message


class _Manager(guest_manager.Manager):
    engine = mock.Mock(mount_point='/data')

    def __init__(self, full_messages):     # no agent set up
        self.volume = mock.Mock()
        self.volume.full_message.side_effect = full_messages


def _manager(full_messages):
    return _Manager(full_messages)


def test_the_heartbeat_carries_the_fault_once_per_filling():
    manager = _manager(['full', 'full', None, 'full again'])
    assert [manager._volume_full_fault() for _ in range(4)] == [
        'full', None, None, 'full again']


def test_a_backup_of_a_full_volume_is_refused():
    manager = _manager(['The data volume is full: ...'])
    with pytest.raises(failures.ReportedFailure) as refused:
        runner.check_volume_room(manager)
    assert refused.value.message.startswith('The data volume is full')
    runner.check_volume_room(_manager([None]))
