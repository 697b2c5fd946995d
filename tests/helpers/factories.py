"""Rows a test needs, written the way the API writes them: a test states
only what matters to it (``create_test_instance(volume_size=2)``)."""

import uuid

from trove.common import context as trove_context
from trove.common import states
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import service_status
from trove.records import work_claims as claims


def create_test_datastore_version(context=None, manager='mariadb',
                                  name='10.11', version='10.11.19'):
    context = context or trove_context.get_admin_context()
    with db_api.writer(context) as session:
        datastore = db_models.Datastore(name='%s-%s' % (
            manager, uuid.uuid4().hex[:6]))
        session.add(datastore)
        session.flush()
        row = db_models.DatastoreVersion(
            datastore_id=datastore.id, name=name, version=version,
            manager=manager, active=True, registry_ext='', repl_strategy='')
        session.add(row)
        session.flush()
        return row.id


def create_test_instance(context=None, version_id=None, work='create',
                         work_args=None, **overrides):
    """An instance row, its service status and (by default) its
    ``create`` work, in one transaction; returns the id."""
    context = context or trove_context.get_admin_context(project_id='demo')
    task = overrides.pop('task', states.InstanceTasks.BUILDING)
    now = db_models.utcnow()
    values = dict(name='db-%s' % uuid.uuid4().hex[:6], tenant_id='demo',
                  flavor_id='1', volume_size=1,
                  datastore_version_id=version_id
                  or create_test_datastore_version(context),
                  task_id=task.code, task_description=task.db_text,
                  task_start_time=now,
                  server_status=states.ServerStatus.BUILD, created=now,
                  updated=now)
    values.update(overrides)
    with db_api.writer(context) as session:
        row = db_models.Instance(**values)
        session.add(row)
        session.flush()
        service_status.create(session, row.id)
        if work:
            claims.submit(session, row.id, 'instance', work,
                          args=work_args if work_args is not None else {
                              'databases': [], 'has_secrets': False})
        return row.id
