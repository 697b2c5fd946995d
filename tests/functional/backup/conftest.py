"""The backup API in this process, on a seeded SQLite control database.

Casts go over a private RabbitMQ vhost to a recording taskmanager
endpoint (a real RPC server), so tests see exactly what the API asked
for. Backup objects live in a temporary local storage directory, written
with the same driver the guest agents use.
"""

import contextlib
import dataclasses
import datetime
import io
import threading
import uuid

import oslo_messaging as messaging
import pytest

from tests.functional import responses
from tests.functional.api import app as api_app
from tests.functional.api import seed
from tests.helpers.processes import wait_until
from trove.common import context as trove_context
from trove.common import rpc, service, states
from trove.conf import CONF
from trove.db import api as db_api
from trove.db import models as db_models
from trove.storage import local
from trove.records import service_status
from trove.records import work_claims as claims

PROJECT = 'backup-project'
OTHER_PROJECT = 'other-project'
BASE = '/v1.0/' + PROJECT


class RecordingTaskManager:
    """Records every cast the API sends to the taskmanager, with the
    work's arguments the cast names (what a taskmanager would claim)."""

    target = messaging.Target(version='1.6')

    def __init__(self):
        self.calls = []
        self._lock = threading.Lock()

    def _record(self, method, **kwargs):
        with self._lock:
            self.calls.append((method, kwargs))

    def create_backup(self, context, backup_id, instance_id):
        work = claims.current(context, backup_id)
        self._record('create_backup', backup_id=backup_id,
                     backup_info=work.args['backup_info'],
                     instance_id=instance_id)

    def delete_backup(self, context, backup_id):
        self._record('delete_backup', backup_id=backup_id)

    def create_instance(self, context, **kwargs):
        work = claims.current(context, kwargs['instance_id'])
        self._record('create_instance', work=work, **kwargs)

    def create_replica(self, context, instance_id):
        self._record('create_replica', instance_id=instance_id)

    def detach_replica(self, context, instance_id):
        self._record('detach_replica', instance_id=instance_id)

    def promote_to_replica_source(self, context, instance_id):
        self._record('promote_to_replica_source', instance_id=instance_id)

    def eject_replica_source(self, context, instance_id):
        self._record('eject_replica_source', instance_id=instance_id)

    def create_cluster(self, context, cluster_id):
        self._record('create_cluster', cluster_id=cluster_id)

    def delete_cluster(self, context, cluster_id):
        self._record('delete_cluster', cluster_id=cluster_id)

    def grow_cluster(self, context, cluster_id, new_instance_ids):
        self._record('grow_cluster', cluster_id=cluster_id,
                     new_instance_ids=new_instance_ids)

    def shrink_cluster(self, context, cluster_id, instance_ids):
        self._record('shrink_cluster', cluster_id=cluster_id,
                     instance_ids=instance_ids)

    def restart_cluster(self, context, cluster_id):
        self._record('restart_cluster', cluster_id=cluster_id)

    def upgrade_cluster(self, context, cluster_id, datastore_version_id):
        self._record('upgrade_cluster', cluster_id=cluster_id,
                     datastore_version_id=datastore_version_id)

    def set_replication_mode(self, context, instance_id):
        self._record('set_replication_mode', instance_id=instance_id)

    def reboot(self, context, instance_id):
        self._record('reboot', instance_id=instance_id)

    def rebuild(self, context, instance_id, image_id=None):
        work = claims.current(context, instance_id)
        self._record('rebuild', instance_id=instance_id, work=work)

    def of(self, method):
        with self._lock:
            return [kwargs for name, kwargs in self.calls if name == method]

    def wait_for(self, method, count=1):
        return wait_until(lambda: len(self.of(method)) >= count and
                          self.of(method), timeout=15,
                          message='no %d %s cast(s)' % (count, method))


@dataclasses.dataclass
class World:
    api: object
    ids: dict
    taskmanager: RecordingTaskManager
    backup_dir: str

    @property
    def context(self):
        return trove_context.get_admin_context()

    def instance(self, project=PROJECT, manager='mariadb',
                 task=states.InstanceTasks.NONE,
                 status=states.ServiceStatuses.HEALTHY, volume_size=2):
        """An ACTIVE instance row as the taskmanager leaves one."""
        now = db_models.utcnow()
        with db_api.writer(self.context) as session:
            row = db_models.Instance(
                name='db-' + uuid.uuid4().hex[:6], tenant_id=project,
                flavor_id='1', volume_size=volume_size,
                datastore_version_id=self.ids[manager + '-version'],
                task_id=task.code, task_description=task.db_text,
                server_status=states.ServerStatus.ACTIVE,
                compute_instance_id='srv', created=now, updated=now)
            session.add(row)
            session.flush()
            service_status.create(session, row.id, status)
            return row.id

    def backup(self, instance_id=None, project=PROJECT, state='COMPLETED',
               parent_id=None, location=None, checksum=None, size=0.1,
               manager='mariadb', updated=None, storage_driver='local',
               name=None):
        now = updated or db_models.utcnow()
        with db_api.writer(self.context) as session:
            row = db_models.Backup(
                name=name or 'b-' + uuid.uuid4().hex[:6], tenant_id=project,
                instance_id=instance_id, state=state, parent_id=parent_id,
                location=location, checksum=checksum, size=size,
                backup_type='incremental' if parent_id else 'full',
                datastore_version_id=self.ids[manager + '-version'],
                storage_driver=storage_driver, created=now, updated=now)
            session.add(row)
            session.flush()
            return row.id

    def stored_backup(self, instance_id, content=b'backup data',
                      parent=None, **kwargs):
        """A COMPLETED backup with a real object in local storage."""
        metadata = {'datastore': 'mariadb'}
        if parent is not None:
            metadata.update(parent_location=parent.location,
                            parent_checksum=parent.checksum)
        saved = local.LocalStorage(self.backup_dir).save(
            'database_backups', uuid.uuid4().hex + '.xbstream.gz',
            io.BytesIO(content), lambda: metadata)
        backup_id = self.backup(instance_id, location=saved.location,
                                checksum=saved.checksum,
                                parent_id=parent.id if parent else None,
                                **kwargs)
        return self.row(backup_id)

    def row(self, backup_id):
        with db_api.reader(self.context) as session:
            return session.get(db_models.Backup, backup_id)

    def age(self, backup_id, days):
        then = db_models.utcnow() - datetime.timedelta(days=days)
        with db_api.writer(self.context) as session:
            row = session.get(db_models.Backup, backup_id)
            row.created = row.updated = then


@contextlib.contextmanager
def recording_taskmanager(transport_url, **overrides):
    """A RecordingTaskManager served on ``transport_url`` under a queue
    name of its own, with ``overrides`` of CONF set meanwhile."""
    rpc.get_transport()     # registers transport_url
    rpc.cleanup()
    overrides.update(transport_url=transport_url,
                     taskmanager_queue='tm-recorder-' + uuid.uuid4().hex[:8])
    for name, value in overrides.items():
        CONF.set_override(name, value)
    recorder = RecordingTaskManager()
    server = service.RpcService(CONF.taskmanager_queue, 'recorder',
                                [recorder])
    server.start()
    try:
        yield recorder
    finally:
        server.stop()
        rpc.cleanup()
        for name in overrides:
            CONF.clear_override(name)


@pytest.fixture
def world(tmp_path, rabbit_transport_url):
    url = 'sqlite:///%s' % (tmp_path / 'trove.sqlite')
    api_app.migrate(url)
    ids = seed.seed_database(url)
    backup_dir = str(tmp_path / 'backups')
    with recording_taskmanager(rabbit_transport_url,
                               backup_local_dir=backup_dir,
                               storage_strategy='local') as recorder:
        with api_app.in_process_api(url, tmp_path) as api:
            yield World(api, ids, recorder, backup_dir)


ok = responses.ok


def fault(response, code):
    """The message of a Trove fault with ``code``."""
    return responses.fault(response, code)[1]
