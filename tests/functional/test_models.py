"""The control-database models on SQLite, MariaDB and PostgreSQL: every
table round-trips, constraints hold, soft-delete columns behave."""

import datetime
import threading

import pytest
import sqlalchemy as sa
from oslo_db import exception as db_exception

from trove.common import context as trove_context
from trove.db import api as db_api
from trove.db import migration
from trove.db import models as m

pytestmark = pytest.mark.functional

STAMP = datetime.datetime(2026, 3, 4, 5, 6, 7)


@pytest.fixture
def ctx():
    return trove_context.get_admin_context()


def _add(ctx, *rows):
    with db_api.writer(ctx) as session:
        session.add_all(rows)
    return rows


def _get(ctx, model, key):
    with db_api.reader(ctx) as session:
        return session.get(model, key)


def _datastore_version(ctx, name='mariadb', version='10.11'):
    datastore = m.Datastore(name=name)
    _add(ctx, datastore)
    row = m.DatastoreVersion(datastore_id=datastore.id, name=version,
                             version=version, manager=name,
                             registry_ext='ext', repl_strategy='repl')
    _add(ctx, row)
    return datastore, row


def test_every_table_round_trips(db, ctx):
    datastore, version = _datastore_version(ctx)
    _add(ctx,
         m.DatastoreVersionMetadata(datastore_version_id=version.id,
                                    key='flavor', value='1'),
         m.DatastoreConfigurationParameter(
             datastore_version_id=version.id, name='max_connections',
             restart_required=False, max_size='100000', min_size='1',
             data_type='integer'),
         m.Flavor(id='1', name='small', ram=1024, vcpus=1, disk=5))
    config = m.Configuration(name='grp', tenant_id='p1',
                             datastore_version_id=version.id)
    cluster = m.Cluster(name='c1', task_id=1, tenant_id='p1',
                        datastore_version_id=version.id)
    _add(ctx, config, cluster)
    instance = m.Instance(name='db1', tenant_id='p1', task_id=1,
                          datastore_version_id=version.id,
                          configuration_id=config.id, flavor_id='1',
                          volume_size=2, cluster_id=cluster.id,
                          access='{"is_public": false}',
                          addresses='[{"address": "127.10.0.2"}]')
    module = m.Module(id='mod-1', name='ping', type='ping', contents='x' *
                      70000, md5='0' * 32)
    _add(ctx, instance, module)
    _add(ctx,
         m.ConfigurationParameter(configuration_id=config.id,
                                  configuration_key='max_connections',
                                  configuration_value='200'),
         m.ServiceStatusRecord(instance_id=instance.id, status_id=0x21,
                               status_description='healthy',
                               updated_at=STAMP),
         m.InstanceFault(id='fault-1', instance_id=instance.id,
                         message='Build error: Server.', details='trace'),
         m.RootEnabledHistory(id=instance.id, user='u1'),
         m.ConductorLastSeen(instance_id=instance.id, method_name='heartbeat',
                             sent=1.5),
         m.Backup(name='b1', tenant_id='p1', state='NEW',
                  instance_id=instance.id, datastore_version_id=version.id,
                  size=0.25, row_counts='{"tables": {"a.t": 1}}' + ' ' * 70000),
         m.BackupStrategy(tenant_id='p1', backend='swift',
                          swift_container='c'),
         m.Quota(tenant_id='p1', resource='instances', hard_limit=5),
         m.QuotaUsage(tenant_id='p1', resource='instances', in_use=1),
         m.Reservation(usage_id='u', delta=1, status='Reserved'),
         m.InstanceModule(instance_id=instance.id, module_id=module.id,
                          md5='0' * 32),
         m.WorkClaim(resource_id=instance.id, resource_type='instance',
                     flow='create', lease_expires=STAMP,
                     args='{"databases": []}'),
         m.PitrArchive(instance_id=instance.id, kind='binlog',
                       name='mysql-bin.000001', seq=1, state='archived',
                       first_event=1765000000.123456),
         m.PitrRestore(instance_id=instance.id, target=1765000000.5),
         m.InstanceEvent(instance_id=instance.id, created=STAMP,
                         kind='task', actor='system',
                         message='Restart started.'),
         m.BackupSchedule(tenant_id='p1', instance_id=instance.id,
                          name='nightly', interval_s=3600,
                          next_run_at=STAMP, action='drill',
                          drill_query='SELECT 1', drill_database='shop',
                          drill_restore_time='latest'),
         m.BackupDrill(backup_id='b-1', tenant_id='p1', state='NEW',
                       check_query='SELECT 1', check_database='shop',
                       restore_time='latest', schedule_id='s-1'),
         m.VolumeType(id='vt-1', name='fast'))
    with db_api.reader(ctx) as session:
        counts = {model.__tablename__: session.query(model).count()
                  for model in m.Base.registry._class_registry.values()
                  if isinstance(model, type) and issubclass(model, m.Base)
                  and model is not m.Base}
        found = session.get(m.Instance, instance.id)
        assert (found.name, found.tenant_id, found.volume_size,
                found.addresses) == ('db1', 'p1', 2,
                                     '[{"address": "127.10.0.2"}]')
        assert found.created is not None and found.deleted is False
        assert session.get(m.Module, 'mod-1').contents == 'x' * 70000
        status = session.query(m.ServiceStatusRecord).one()
        assert (status.status_id, status.updated_at) == (0x21, STAMP)
        assert session.query(m.Backup).one().size == 0.25
        assert len(session.query(m.Backup).one().row_counts) > 70000
        # Microseconds survive: restore targets and event times need them.
        assert session.query(m.PitrArchive).one().first_event == \
            1765000000.123456
        strategy = session.query(m.BackupStrategy).one()
        assert strategy.instance_id == ''
    assert set(counts) == set(m.Base.metadata.tables)
    assert all(count == 1 for count in counts.values()), counts


def test_duplicate_datastore_name_is_refused(db, ctx):
    _add(ctx, m.Datastore(name='mariadb'))
    with pytest.raises(db_exception.DBDuplicateEntry):
        _add(ctx, m.Datastore(name='mariadb'))


def test_duplicate_quota_of_a_project_is_refused(db, ctx):
    _add(ctx, m.Quota(tenant_id='p1', resource='instances', hard_limit=5),
         m.Quota(tenant_id='p2', resource='instances', hard_limit=5))
    with pytest.raises(db_exception.DBDuplicateEntry):
        _add(ctx, m.Quota(tenant_id='p1', resource='instances',
                          hard_limit=7))


def test_duplicate_flavor_name_is_refused(db, ctx):
    _add(ctx, m.Flavor(id='1', name='small', ram=512, vcpus=1, disk=1))
    with pytest.raises(db_exception.DBDuplicateEntry):
        _add(ctx, m.Flavor(id='2', name='small', ram=512, vcpus=1, disk=1))


def test_duplicate_datastore_version_is_refused(db, ctx):
    datastore, version = _datastore_version(ctx)
    with pytest.raises(db_exception.DBDuplicateEntry):
        _add(ctx, m.DatastoreVersion(
            datastore_id=datastore.id, name='10.11', version='10.11',
            registry_ext='', repl_strategy=''))


def test_soft_delete_columns(db, ctx):
    _datastore, version = _datastore_version(ctx)
    live, gone = (m.Instance(name=n, tenant_id='p1', task_id=1,
                             datastore_version_id=version.id)
                  for n in ('live', 'gone'))
    _add(ctx, live, gone)
    with db_api.writer(ctx) as session:
        row = session.get(m.Instance, gone.id)
        row.deleted = True
        row.deleted_at = STAMP
    with db_api.reader(ctx) as session:
        names = [i.name for i in session.query(m.Instance).filter_by(
            deleted=False)]
        deleted = session.get(m.Instance, gone.id)
        fresh = session.get(m.Instance, live.id)
    assert names == ['live']
    assert (deleted.deleted, deleted.deleted_at) == (True, STAMP)
    assert (fresh.deleted, fresh.deleted_at) == (False, None)


def test_server_default_of_deleted_is_false(db, ctx):
    """Rows written without the ORM (raw SQL) are live too."""
    with db_api.writer(ctx) as session:
        session.execute(sa.text(
            "INSERT INTO instances (id, name, tenant_id, task_id) "
            "VALUES ('raw-1', 'raw', 'p1', 1)"))
    row = _get(ctx, m.Instance, 'raw-1')
    assert (row.deleted, row.deleted_at) == (False, None)


def test_instances_reference_datastore_versions(db, ctx):
    engine = db_api.get_engine()
    foreign_keys = sa.inspect(engine).get_foreign_keys('instances')
    assert {'referred_table': 'datastore_versions',
            'constrained_columns': ['datastore_version_id'],
            'referred_columns': ['id']}.items() <= next(
        fk for fk in foreign_keys
        if fk['referred_table'] == 'datastore_versions').items()
    if engine.dialect.name == 'sqlite':
        return  # SQLite declares but does not enforce foreign keys
    with pytest.raises(db_exception.DBReferenceError):
        _add(ctx, m.Instance(name='orphan', tenant_id='p1', task_id=1,
                             datastore_version_id='no-such-version'))


@pytest.mark.parametrize('sent', [1763840000.123456, 1763840000.000001,
                                  1763840000.999999])
def test_conductor_last_seen_keeps_microseconds(db, ctx, sent):
    _add(ctx, m.ConductorLastSeen(instance_id='i1', method_name='heartbeat',
                                  sent=sent))
    stored = _get(ctx, m.ConductorLastSeen, ('i1', 'heartbeat')).sent
    assert stored == sent
    assert round(stored * 1e6) % 1000000 == round(sent * 1e6) % 1000000


def test_concurrent_writers_on_sqlite_wait_their_turn(tmp_path, ctx):
    """Transactions that read, then write, from several connections at once
    (the API, taskmanager and conductor share one SQLite file) wait for the
    write lock instead of failing with "database is locked"."""
    url = 'sqlite:///%s' % (tmp_path / 'trove.sqlite')
    engine = sa.create_engine(url)
    try:
        migration.upgrade(engine)
    finally:
        engine.dispose()
    db_api.configure(url)
    errors = []

    def write(worker):
        for i in range(30):
            try:
                with db_api.writer(ctx) as session:
                    seen = session.query(m.Quota).count()
                    session.add(m.Quota(tenant_id='t%d-%d' % (worker, i),
                                        resource='instances',
                                        hard_limit=seen))
            except Exception as error:  # collected and reported below
                errors.append(error)

    try:
        workers = [threading.Thread(target=write, args=(n,))
                   for n in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert errors == []
        with db_api.reader(ctx) as session:
            assert session.query(m.Quota).count() == 120
    finally:
        db_api.configure()
