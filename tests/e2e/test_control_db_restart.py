"""The fault matrix (issue 23): the control database restarted under load.

trove-local runs on a MariaDB, then a PostgreSQL, control database of the
test's own (its own datadir and port; the machine's servers are
untouched). Clients keep
creating configuration groups (a write of two tables in one transaction)
and listing instances while the database is stopped and started again:

* while it is down the API answers 503 ``serviceUnavailable`` with a
  Retry-After, never another 5xx;
* it recovers by itself: no service is restarted (same pids);
* nothing is half-applied or lost: every group the API confirmed (200)
  is in the database with its values, and any other row (a commit whose
  answer was lost when the server went away) is whole too.
"""

import json
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

from tests.e2e import system as e2e
from tests.helpers import private_mariadb
from tests.helpers.processes import wait_until
from trove.localenv import config as local_config
from trove.localenv import services

pytestmark = pytest.mark.e2e


@pytest.fixture(params=['mariadb', 'postgresql'])
def control_db(request):
    database = (private_mariadb.PrivateMariaDB() if request.param ==
                'mariadb' else private_mariadb.PrivatePostgreSQL())
    database.start()
    yield database
    database.remove()


def _request(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method,
        headers={'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b'null'), \
                dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b'null'), \
            dict(error.headers)


class Load:
    """Writers and readers in threads until stopped; every answer kept."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.answers = []       # (kind, status, body, headers)
        self.confirmed = []     # ids of groups answered 200
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._write, daemon=True),
                         threading.Thread(target=self._read, daemon=True)]

    def start(self):
        for thread in self._threads:
            thread.start()

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)

    def _write(self):
        while not self._stop.is_set():
            status, body, headers = _request(
                'POST', self.endpoint + '/configurations', {
                    'configuration': {
                        'name': 'load-' + uuid.uuid4().hex[:8],
                        'values': {'max_connections': 120},
                        'datastore': {'type': 'mariadb'}}})
            self.answers.append(('write', status, body, headers))
            if status == 200:
                self.confirmed.append(body['configuration']['id'])
            time.sleep(0.05)

    def _read(self):
        while not self._stop.is_set():
            status, body, headers = _request('GET',
                                             self.endpoint + '/instances')
            self.answers.append(('read', status, body, headers))
            time.sleep(0.05)

    def statuses(self, since=0):
        return [answer[1] for answer in self.answers[since:]]


def test_control_db_restarted_under_load(control_db):
    with e2e.temporary_system('trove-e2e-cdb-',
                              control_db=control_db.url) as system:
        system.up()
        config = local_config.LocalConfig.from_state_dir(system.state_dir)
        pids = services.status(config)
        endpoint = system.endpoint('cdb-' + uuid.uuid4().hex[:8])
        load = Load(endpoint)
        load.start()
        try:
            wait_until(lambda: len(load.confirmed) >= 5, timeout=60,
                       message='no write succeeded before the restart')
            control_db.stop()
            down_from = len(load.answers)
            wait_until(lambda: load.statuses(down_from).count(503) >= 6,
                       timeout=60, message=lambda: 'no 503 while down: %s'
                       % load.answers[down_from:][-3:])
            down_answers = load.answers[down_from:]
            control_db.start()
            up_from = len(load.answers)
            wait_until(lambda: load.statuses(up_from)[-6:] == [200] * 6,
                       timeout=90, message=lambda: 'no recovery: %s'
                       % load.answers[-3:])
        finally:
            load.stop()
        statuses = load.statuses()
        print('\ncontrol DB restart: %d requests; statuses %s; %d groups '
              'confirmed' % (len(statuses), {s: statuses.count(s) for s in
                                             sorted(set(statuses))},
                             len(load.confirmed)))
        assert not [s for s in statuses if s >= 500 and s != 503], \
            [a for a in load.answers if a[1] >= 500 and a[1] != 503][:3]
        for kind, status, body, headers in down_answers:
            if status == 503:
                assert body['serviceUnavailable']['code'] == 503
                assert 'retry-after' in {k.lower() for k in headers}
        # The same processes served throughout.
        assert services.status(config) == pids
        rows = dict(control_db.query(
            'SELECT c.id, COUNT(p.configuration_key) FROM configurations c '
            'LEFT JOIN '
            'configuration_parameters p ON p.configuration_id = c.id '
            'WHERE c.deleted = false GROUP BY c.id'))
        assert set(load.confirmed) <= set(rows)
        assert all(count == 1 for count in rows.values()), rows
        unconfirmed = set(rows) - set(load.confirmed)
        failed_writes = [a for a in load.answers
                         if a[0] == 'write' and a[1] != 200]
        assert len(unconfirmed) <= len(failed_writes)
        # The next operation works.
        status, body, _headers = _request('GET', endpoint + '/datastores')
        assert status == 200
