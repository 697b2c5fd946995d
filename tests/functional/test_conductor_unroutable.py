"""A guest's message to a conductor whose queue does not exist yet.

After a broker restart the conductor's (non-durable) queue is gone until
the conductor reconnects and declares it again; RabbitMQ drops a cast to
the control exchange that no queue is bound for, without a word. A
guest's casts are mandatory and sent again (trove.conductor.api), so a
backup's result cast in that window arrives once the conductor is back
(issue 23, the fault matrix's broker restart during a backup).

A real conductor (its manager behind an RpcService) on a private
RabbitMQ vhost and a migrated SQLite control DB; the guest is the
conductor API as an agent builds it.
"""

import threading
import time
import uuid

import oslo_messaging as messaging
import pytest
import sqlalchemy as sa

from tests.helpers import processes
from trove.common import context as trove_context
from trove.common import rpc
from trove.common import service
from trove.conductor import api as conductor_api
from trove.conductor import manager as conductor_manager
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import migration
from trove.db import models

pytestmark = pytest.mark.functional


@pytest.fixture
def control_db(tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'trove.sqlite')
    engine = sa.create_engine(url)
    migration.upgrade(engine)
    engine.dispose()
    db_api.configure(url)
    yield
    db_api.configure()


@pytest.fixture
def broker(rabbit_transport_url):
    """A conductor queue name nobody has declared yet on the vhost."""
    rpc.cleanup()
    overrides = {'transport_url': rabbit_transport_url,
                 'conductor_queue': 'conductor-' + uuid.uuid4().hex[:8]}
    for name, value in overrides.items():
        CONF.set_override(name, value)
    yield
    rpc.cleanup()
    for name in overrides:
        CONF.clear_override(name)


def _building_backup():
    instance_id, backup_id = str(uuid.uuid4()), str(uuid.uuid4())
    with db_api.writer(trove_context.get_admin_context()) as session:
        session.add(models.Instance(id=instance_id, name='unroutable',
                                    tenant_id='p1'))
        session.add(models.ServiceStatusRecord(
            instance_id=instance_id, status_id=0x01,
            status_description='new'))
        session.add(models.Backup(id=backup_id, name='b', state='BUILDING',
                                  instance_id=instance_id, tenant_id='p1'))
    return instance_id, backup_id


def _backup_state(backup_id):
    with db_api.reader(trove_context.get_admin_context()) as session:
        return session.get(models.Backup, backup_id).state


def test_a_result_cast_before_the_conductor_queue_exists_arrives(
        control_db, broker):
    instance_id, backup_id = _building_backup()
    guest = conductor_api.API(trove_context.get_admin_context())
    errors = []

    def report():
        try:
            guest.update_backup(instance_id, backup_id, state='COMPLETED',
                                size=1.5)
        except Exception as error:   # noqa: BLE001 - asserted below
            errors.append(error)

    reporting = threading.Thread(target=report, daemon=True)
    reporting.start()
    # The cast is refused as unroutable meanwhile, and sent again.
    time.sleep(1.5)
    assert reporting.is_alive(), 'the cast returned with no queue to take it'
    manager = conductor_manager.Manager()
    server = service.RpcService(CONF.conductor_queue, 'unroutable-test',
                                [manager], serializer=manager.serializer())
    server.start()
    try:
        reporting.join(timeout=30)
        assert not errors, errors
        processes.wait_until(
            lambda: _backup_state(backup_id) == 'COMPLETED', timeout=20,
            message='the backup result sent before the conductor queue '
                    'existed was lost')
    finally:
        server.stop()
        manager.stop()


def test_an_unroutable_cast_is_given_up_after_its_time(broker):
    CONF.set_override('conductor_unroutable_resend_timeout', 1)
    try:
        guest = conductor_api.API(trove_context.get_admin_context())
        started = time.monotonic()
        with pytest.raises(messaging.MessageUndeliverable):
            guest.notify_exc_info('i-1', 'instance_create', 'failed')
        assert time.monotonic() - started < 10
    finally:
        CONF.clear_override('conductor_unroutable_resend_timeout')
