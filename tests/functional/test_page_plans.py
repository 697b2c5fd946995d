"""The plans of list pages read a page's worth of rows, not the tables.

PostgreSQL answers the running-backup EXISTS of an instance page by
reading every running backup once into a hash when it expects many
instance rows (a project with thousands of instances): that read must come
from an index of the running states, never from a scan of every backup
(which cost 130 ms a page at a million backups, page 1 included).
"""

import datetime

import pytest
import sqlalchemy as sa

from trove.db import migration
from trove.db import models as m
from trove.instance import listing
from trove.instance import models as instance_models

pytestmark = pytest.mark.functional

ROWS = 20000
PROJECT = 'plans-project'


def _fill(connection):
    now = datetime.datetime(2026, 12, 5)
    instances = [{'id': 'i-%06d' % index, 'tenant_id': PROJECT,
                  'created': now - datetime.timedelta(seconds=index),
                  'deleted': False, 'name': 'db-%d' % index}
                 for index in range(ROWS)]
    backups = [{'id': 'b-%06d' % index, 'name': 'backup-%d' % index,
                'tenant_id': PROJECT, 'instance_id': 'i-%06d' % index,
                'state': 'BUILDING' if index == 7 else 'COMPLETED',
                'deleted': False}
               for index in range(ROWS)]
    connection.execute(m.Instance.__table__.insert(), instances)
    connection.execute(m.Backup.__table__.insert(), backups)


# PostgreSQL's plan: MariaDB and SQLite probe the backups of each row
# by instance_id.
@pytest.mark.parametrize('control_db_url', ['postgresql'], indirect=True)
def test_an_instance_page_reads_no_table_whole(control_db_url):
    engine = sa.create_engine(control_db_url)
    try:
        migration.upgrade(engine)
        with engine.begin() as connection:
            _fill(connection)
        with engine.connect().execution_options(
                isolation_level='AUTOCOMMIT') as connection:
            connection.exec_driver_sql('ANALYZE')
        query = listing._page_query(instance_models._running_backup_column(),
                                    False, False, False, False)
        statement = query.compile(dialect=engine.dialect)
        parameters = dict(statement.params, project_id=PROJECT, limit=21)
        with engine.connect() as connection:
            plan = '\n'.join(row[0] for row in connection.exec_driver_sql(
                'EXPLAIN ' + str(statement), parameters))
            page = connection.execute(query, {'project_id': PROJECT,
                                              'limit': 21}).all()
    finally:
        engine.dispose()
    assert len(page) == 21
    assert 'Seq Scan on backups' not in plan, plan
    assert 'Seq Scan on instances' not in plan, plan
