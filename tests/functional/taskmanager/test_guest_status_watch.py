"""Builds waiting at once read their guests' statuses together.

Real control databases (each backend): five builds poll their guests'
statuses at the same moments; one statement per poll round serves all
five, and a status written meanwhile is seen at the next round.
"""

import threading
import time
import uuid

import sqlalchemy as sa

from tests.functional.api import app as api_app
from trove.common import context as trove_context
from trove.common import states
from trove.db import api as db_api
from trove.records import service_status
from trove.taskmanager.flows import guest_status_watch

POLL = 0.2
ROUNDS = 4
BUILDS = 5


def test_waiting_builds_share_one_read_per_round(control_db_url):
    api_app.migrate(control_db_url)
    db_api.configure(control_db_url)
    context = trove_context.TroveContext(project_id='demo', overwrite=False)
    ids = [str(uuid.uuid4()) for _ in range(BUILDS)]
    with db_api.writer(context) as session:
        for instance_id in ids:
            service_status.create(session, instance_id)
    reads = []

    def count(_conn, _cursor, statement, *_args):
        if 'service_statuses' in statement and statement.lstrip(
                ).upper().startswith('SELECT'):
            reads.append(statement)

    barrier = threading.Barrier(BUILDS)
    seen = {}

    def build(index):
        instance_id = ids[index]
        with guest_status_watch.watching(instance_id):
            for round_number in range(ROUNDS):
                barrier.wait()
                seen[(index, round_number)] = guest_status_watch.status(
                    context, instance_id, POLL)
                barrier.wait()
                if index == 0 and round_number == 1:
                    # The guest of build 4 reports in between rounds.
                    service_status.set_status(context, ids[4],
                                              states.ServiceStatuses.HEALTHY)
                time.sleep(POLL + 0.05)

    sa.event.listen(sa.engine.Engine, 'before_cursor_execute', count)
    try:
        threads = [threading.Thread(target=build, args=(i,))
                   for i in range(BUILDS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        sa.event.remove(sa.engine.Engine, 'before_cursor_execute', count)
        db_api.configure()
    # One read a round for the five builds, not five.
    assert len(reads) == ROUNDS, reads
    new = states.ServiceStatuses.NEW
    assert all(seen[(i, r)] == new for i in range(BUILDS) for r in (0, 1))
    assert [seen[(4, r)] for r in range(ROUNDS)] == [
        new, new, states.ServiceStatuses.HEALTHY,
        states.ServiceStatuses.HEALTHY]
    # Nothing is kept for builds that stopped waiting.
    assert guest_status_watch._latest == {}
    assert not guest_status_watch._waiting
