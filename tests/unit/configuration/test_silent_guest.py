"""An attach or detach whose guest does not answer leaves a fault."""

from unittest import mock

import pytest

from trove.common import exception
from trove.configuration import instances


def test_a_silent_guest_fails_the_attach_with_a_fault():
    with mock.patch.object(instances.faults, 'save_fault') as save:
        with pytest.raises(exception.GuestTimeout):
            with instances._fault_if_silent('ctx', 'i-1', 'attached',
                                            'g-1'):
                raise exception.GuestTimeout(instance_id='i-1', timeout=15)
    [(args, _kwargs)] = save.call_args_list
    assert args[1] == 'i-1'
    message = args[2]
    assert message.startswith('Configuration group g-1 was not attached: '
                              'the guest agent did not answer within')
    assert 'attach it again once the instance is HEALTHY' in message
    assert len(message) < 255


def test_other_errors_pass_without_a_fault():
    with mock.patch.object(instances.faults, 'save_fault') as save:
        with pytest.raises(exception.BadRequest):
            with instances._fault_if_silent('ctx', 'i-1', 'detached',
                                            'g-1'):
                raise exception.BadRequest('no')
    assert not save.called
