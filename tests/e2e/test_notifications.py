"""Usage notifications consumed from RabbitMQ, as a billing service would.

A system of its own with ``[oslo_messaging_notifications] driver =
messagingv2`` and a short audit period. The test listens on the
``notifications`` topic of the ``trove`` exchange in the system's vhost
(an oslo.messaging notification listener: a real queue), creates a
MariaDB instance, grows its volume and deletes it, and checks the
``trove.instance.create``, ``exists``, ``modify_volume`` and ``delete``
notifications with upstream's payload keys.
"""

import threading
import time

import oslo_messaging as messaging
import pytest
from oslo_config import cfg

from tests.e2e import system as e2e

pytestmark = pytest.mark.e2e

BASE_KEYS = {'created_at', 'name', 'instance_id', 'instance_name',
             'instance_type_id', 'launched_at', 'nova_instance_id', 'region',
             'state_description', 'state', 'tenant_id', 'user_id',
             'instance_type', 'service_id', 'instance_size',
             'availability_zone', 'volume_size', 'nova_volume_id'}


class Collector:
    """Notification endpoint: keeps (event_type, payload, publisher)."""

    def __init__(self):
        self.seen = []
        self._lock = threading.Lock()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        with self._lock:
            self.seen.append((event_type, payload, publisher_id))
        return messaging.NotificationResult.HANDLED

    def of(self, event_type, instance_id):
        with self._lock:
            return [payload for kind, payload, _ in self.seen
                    if kind == event_type
                    and payload.get('instance_id') == instance_id]

    def wait_for(self, event_type, instance_id, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(event_type, instance_id)
            if found:
                return found
            time.sleep(0.5)
        raise AssertionError('no %s notification of %s; seen %s' % (
            event_type, instance_id, [kind for kind, _, _ in self.seen]))


@pytest.fixture(scope='module')
def notifying_system():
    options = ['oslo_messaging_notifications.driver=messagingv2',
               'exists_notification_interval=4']
    with e2e.temporary_system('trove-e2e-notify-',
                              extra_options=options) as system:
        system.up()
        yield system


@pytest.fixture
def collector(notifying_system):
    conf = cfg.ConfigOpts()
    conf([], project='trove-e2e-listener', default_config_files=[])
    transport = messaging.get_notification_transport(
        conf, url=notifying_system.transport_url)
    collector = Collector()
    listener = messaging.get_notification_listener(
        transport, [messaging.Target(topic='notifications',
                                     exchange='trove')],
        [collector], executor='threading')
    listener.start()
    try:
        yield collector
    finally:
        listener.stop()
        listener.wait()
        transport.cleanup()


def test_create_resize_and_delete_are_notified(notifying_system, collector):
    trove = notifying_system.client('notify-project')
    created = trove.instances.create('notify-db', flavor_id='1',
                                     volume={'size': 1}, datastore='mariadb')
    try:
        e2e.wait_for_instance(trove, created.id, system=notifying_system)
        [create] = collector.wait_for('trove.instance.create', created.id)
        assert BASE_KEYS <= set(create)
        assert (create['tenant_id'], create['instance_name'],
                create['state'], create['volume_size'],
                create['instance_type_id']) == (
            'notify-project', 'notify-db', 'active', 1, '1')
        assert create['service_id'] == '7a4f82cc-10d2-4bc6-aadc-d9aacc2a3cb5'
        assert create['instance_size'] > 0 and create['nova_instance_id']

        exists = collector.wait_for('trove.instance.exists', created.id)[0]
        assert exists['audit_period_beginning'] < \
            exists['audit_period_ending']

        trove.instances.resize_volume(created.id, 2)
        [grown] = collector.wait_for('trove.instance.modify_volume',
                                     created.id)
        assert (grown['old_volume_size'], grown['volume_size']) == (1, 2)
        e2e.wait_for_instance(trove, created.id, system=notifying_system)
    finally:
        trove.instances.delete(created.id)
        e2e.wait_for_deleted(trove, created.id)
    [deleted] = collector.wait_for('trove.instance.delete', created.id)
    assert deleted['deleted_at'] and BASE_KEYS <= set(deleted)
    publishers = {publisher for _, payload, publisher in collector.seen
                  if payload.get('instance_id') == created.id}
    assert all(p.startswith('taskmanager.') for p in publishers)
