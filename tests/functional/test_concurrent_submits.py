"""Work submitted at once for new resources, on each control database.

Each transaction first reads the (missing) work row with a lock, all of
them reach that point before any inserts, then each inserts its row: the
order two concurrent instance creates on two trove-api processes can
take. Under InnoDB's REPEATABLE READ the locking reads lock one shared gap
and the inserts deadlock (one create answered 500); the control database
sessions must not.
"""

import concurrent.futures
import threading
import uuid

import pytest

from trove.common import context as trove_context
from trove.db import api as db_api
from trove.db import models as db_models
from trove.records import work_claims as claims

pytestmark = pytest.mark.functional

WRITERS = 4


def test_locking_reads_of_new_rows_then_inserts_do_not_deadlock(db):
    context = trove_context.TroveContext(project_id='submit-project')
    all_read = threading.Barrier(WRITERS, timeout=30)
    ids = [str(uuid.uuid4()) for _ in range(WRITERS)]

    def create(resource_id):
        with db_api.writer(context) as session:
            assert session.get(db_models.WorkClaim, resource_id,
                               with_for_update=True) is None
            all_read.wait()
            claims.submit(session, resource_id, 'instance', 'create')

    if db.startswith('sqlite'):
        # SQLite's writers queue on the database lock: the first would
        # wait at the barrier holding it. One at a time says the same.
        for resource_id in ids:
            all_read = threading.Barrier(1)
            create(resource_id)
    else:
        with concurrent.futures.ThreadPoolExecutor(WRITERS) as pool:
            for future in [pool.submit(create, i) for i in ids]:
                future.result(timeout=60)

    with db_api.reader(context) as session:
        stored = {row.resource_id: row.flow for row in
                  session.query(db_models.WorkClaim).filter(
                      db_models.WorkClaim.resource_id.in_(ids))}
    assert stored == {resource_id: 'create' for resource_id in ids}
