"""The fenced standing of a failed primary in the control database (what
the conductor's replication_standing answers a starting guest), on each
control-database backend."""

import pytest

from tests.functional.test_models import _add, _datastore_version, ctx  # noqa: F401
from trove.common import sealed_messages
from trove.conductor import manager as conductor_manager
from trove.db import models as m
from trove.records import replication_sets

pytestmark = pytest.mark.functional


def test_a_failed_primary_is_fenced_until_it_rejoins(db, ctx):  # noqa: F811
    _datastore, version = _datastore_version(ctx)
    old, new = (m.Instance(name=n, tenant_id='p1', task_id=1,
                           datastore_version_id=version.id, flavor_id='1',
                           volume_size=1) for n in ('old', 'new'))
    _add(ctx, old, new)
    replication_sets.set_settings(ctx, old.id, replication_mode='sync')
    assert replication_sets.standing(ctx, old.id)['fenced'] is False

    epoch = replication_sets.record_change_of_source(
        ctx, new.id, [], failover=True, settings_from=old.id)
    replication_sets.set_fenced(ctx, old.id, epoch)
    # What the conductor answers (the mode is the new primary's).
    # A conductor without its heartbeat thread: only the message check.
    conductor = conductor_manager.Manager.__new__(conductor_manager.Manager)
    conductor.keys = sealed_messages.KeyCache(conductor_manager._encrypted_key)
    standing = conductor.replication_standing(ctx, old.id)
    assert standing == {'fenced': True, 'mode': 'sync', 'epoch': 0,
                        'fenced_epoch': 1, 'source_id': None}
    assert replication_sets.standing(ctx, new.id)['fenced'] is False

    replication_sets.rejoined(ctx, old.id, epoch)
    standing = replication_sets.standing(ctx, old.id)
    assert standing['fenced'] is False and standing['epoch'] == 1
    assert replication_sets.standing(ctx, 'no-such-id')['fenced'] is False
