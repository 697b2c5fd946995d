"""The control database of the API benchmark, and SQL counted per request.

``seed`` fills a migrated control database for one project the way a busy
deployment looks: 1,000 instances in a mix of tasks and service statuses
(some errored with a fault, some with a running backup, some attached to a
configuration group), 1,000 backups, 100 configuration groups, one
datastore with its version and three flavors. No engine runs: rows only.
Datastores and flavors are registered through the models the operators'
tools use; the bulk rows are inserted with SQLAlchemy Core.

``count_statements`` sends requests through the real paste pipeline in
this process (``tests.functional.api.app``) and counts the statements
each one sends to the database with a ``before_cursor_execute`` listener,
so the API itself is measured unchanged.
"""

import datetime
import json
import random

import sqlalchemy as sa
from sqlalchemy import event

from trove.common import context as trove_context
from trove.common import states
from trove.datastore import models as datastore_models
from trove.db import api as db_api
from trove.db import migration
from trove.db import models as db_models
from trove.compute.local import flavors as local_flavors

PROJECT = 'bench-project'
S = states.ServiceStatuses
T = states.InstanceTasks

# (weight, task, server status, service status): most instances are up.
INSTANCE_MIX = [
    (70, T.NONE, 'ACTIVE', S.HEALTHY),
    (8, T.NONE, 'ACTIVE', S.RUNNING),
    (5, T.NONE, 'SHUTDOWN', S.SHUTDOWN),
    (5, T.BUILDING, 'BUILD', S.BUILDING),
    (4, T.NONE, 'ACTIVE', S.RESTART_REQUIRED),
    (4, T.NONE, 'ERROR', S.FAILED),
    (2, T.REBOOTING, 'ACTIVE', S.SHUTDOWN),
    (2, T.NONE, 'ACTIVE', S.NEW),
]
BACKUP_STATES = [(85, 'COMPLETED'), (8, 'FAILED'), (4, 'NEW'),
                 (3, 'BUILDING')]


def _weighted(rng, choices):
    total = sum(weight for weight, *_rest in choices)
    pick = rng.uniform(0, total)
    for choice in choices:
        pick -= choice[0]
        if pick <= 0:
            return choice
    return choices[-1]


def _register_catalogue(url):
    """Datastore, version and flavors, as trove-manage would."""
    db_api.configure(url)
    context = trove_context.get_admin_context()
    try:
        datastore_models.update_datastore(context, 'mariadb')
        version_id = datastore_models.update_version(
            context, 'mariadb', '10.11', 'mariadb', '', '', True,
            image_tags=['trove'], version='10.11.6')
        datastore_models.update_datastore(context, 'mariadb', '10.11')
        flavors = local_flavors.LocalFlavors()
        for name, ram, vcpus, disk in (('small', 1024, 1, 5),
                                       ('medium', 2048, 2, 10),
                                       ('large', 4096, 4, 20)):
            flavors.create(context, name, ram, vcpus, disk)
    finally:
        db_api.configure()
    return version_id


def seed(url, instances=1000, backups=1000, configurations=100, seed_=8):
    """Migrate and fill the database at ``url``; ids worth requesting."""
    engine = sa.create_engine(url)
    try:
        migration.upgrade(engine)
    finally:
        engine.dispose()
    version_id = _register_catalogue(url)
    rng = random.Random(seed_)
    now = db_models.utcnow().replace(microsecond=0)
    config_rows, config_values = _configurations(now, version_id,
                                                 configurations)
    instance_rows, status_rows, fault_rows = _instances(
        rng, now, version_id, [c['id'] for c in config_rows], instances)
    backup_rows = _backups(rng, now, version_id, instance_rows, backups)
    engine = sa.create_engine(url)
    tables = db_models.Base.metadata.tables
    try:
        with engine.begin() as connection:
            for table, rows in (('configurations', config_rows),
                                ('configuration_parameters', config_values),
                                ('instances', instance_rows),
                                ('service_statuses', status_rows),
                                ('instance_faults', fault_rows),
                                ('backups', backup_rows)):
                if rows:
                    connection.execute(tables[table].insert(), rows)
    finally:
        engine.dispose()
    # A healthy instance without a volume: showing it asks no guest for
    # its volume usage (no engine runs here to answer).
    shown = next(r['id'] for r, s in zip(instance_rows, status_rows)
                 if r['volume_size'] is None and r['task_id'] == T.NONE.code
                 and s['status_id'] == S.HEALTHY.code)
    return {'version_id': version_id, 'shown_instance': shown}


def _configurations(now, version_id, count):
    rows, values = [], []
    for index in range(count):
        config_id = db_models.generate_uuid()
        stamp = now - datetime.timedelta(hours=index)
        rows.append({'id': config_id, 'name': 'config-%03d' % index,
                     'description': 'benchmark group %d' % index,
                     'tenant_id': PROJECT, 'datastore_version_id': version_id,
                     'deleted': False, 'created': stamp, 'updated': stamp})
        for key, value in (('max_connections', str(100 + index)),
                           ('wait_timeout', '3600'),
                           ('sql_mode', 'STRICT_ALL_TABLES')):
            values.append({'configuration_id': config_id,
                           'configuration_key': key,
                           'configuration_value': value, 'deleted': False})
    return rows, values


def _instances(rng, now, version_id, config_ids, count):
    rows, statuses, faults = [], [], []
    for index in range(count):
        instance_id = db_models.generate_uuid()
        _w, task, server_status, service = _weighted(rng, INSTANCE_MIX)
        created = now - datetime.timedelta(minutes=index)
        rows.append({
            'id': instance_id, 'name': 'db-%04d' % index,
            'created': created, 'updated': created,
            'hostname': 'db-%04d' % index,
            'compute_instance_id': db_models.generate_uuid(),
            'task_id': task.code, 'task_description': task.db_text,
            'task_start_time': None, 'volume_id': None,
            'flavor_id': str(rng.randint(1, 3)),
            'volume_size': None if index % 10 == 3 else rng.randint(1, 20),
            'tenant_id': PROJECT, 'server_status': server_status,
            'deleted': False, 'datastore_version_id': version_id,
            'configuration_id': (config_ids[index % len(config_ids)]
                                 if config_ids and index % 4 == 0 else None),
            'region_id': 'RegionOne',
            'access': json.dumps({'is_public': index % 7 == 0}),
            'addresses': json.dumps([{
                'address': '127.10.%d.%d' % (index // 250, index % 250 + 2),
                'type': 'private', 'network': 'loopback'}]),
        })
        statuses.append({'id': db_models.generate_uuid(),
                         'instance_id': instance_id,
                         'status_id': service.code,
                         'status_description': service.description,
                         'updated_at': now})
        if server_status == 'ERROR':
            faults.append({'id': db_models.generate_uuid(),
                           'instance_id': instance_id,
                           'message': 'The engine did not start.',
                           'details': 'mariadbd exited with status 1',
                           'created': created, 'updated': created,
                           'deleted': False})
    return rows, statuses, faults


def _backups(rng, now, version_id, instances, count):
    rows = []
    for index in range(count):
        instance = instances[index % len(instances)]
        _w, state = _weighted(rng, BACKUP_STATES)
        stamp = now - datetime.timedelta(seconds=30 * index)
        backup_id = db_models.generate_uuid()
        rows.append({
            'id': backup_id, 'name': 'backup-%04d' % index,
            'description': 'nightly', 'backup_type': 'mariabackup',
            'location': 'file:///var/lib/trove/backups/%s.xbstream.gz'
                        % backup_id,
            'size': round(rng.uniform(0.01, 5.0), 3), 'tenant_id': PROJECT,
            'state': state, 'instance_id': instance['id'],
            'checksum': '%032x' % rng.getrandbits(128),
            'backup_timestamp': stamp, 'deleted': False,
            'created': stamp, 'updated': stamp,
            'parent_id': rows[-1]['id'] if index % 5 == 4 else None,
            'datastore_version_id': version_id, 'storage_driver': 'local',
        })
    return rows


class StatementCounter:
    """Counts what every engine of this process sends to its database."""

    def __init__(self):
        self.count = 0

    def _before(self, *_args):
        self.count += 1

    def __enter__(self):
        event.listen(sa.engine.Engine, 'before_cursor_execute', self._before)
        return self

    def __exit__(self, *exc):
        event.remove(sa.engine.Engine, 'before_cursor_execute', self._before)


def count_statements(url, state_path, paths, overrides):
    """{path: (HTTP status, rows in the body, SQL statements)} for one GET
    of each path through the noauth pipeline in this process."""
    from tests.functional.api import app as api_app
    from trove.conf import CONF
    api_app._ensure_conf_parsed()
    for name, value in overrides.items():
        CONF.set_override(name, value)
    results = {}
    try:
        with api_app.in_process_api(url, state_path) as api:
            # The first request connects and loads the policy: not per
            # request work.
            api.get(paths[0])
            for path in paths:
                with StatementCounter() as counter:
                    response = api.get(path)
                results[path] = (response.status_int, rows_in(response.json),
                                 counter.count)
    finally:
        for name in overrides:
            CONF.clear_override(name)
    return results


def rows_in(body):
    """Items of a collection body (the list beside any ``links``), or 1."""
    for key, value in body.items():
        if key != 'links' and isinstance(value, list):
            return len(value)
    return 1
