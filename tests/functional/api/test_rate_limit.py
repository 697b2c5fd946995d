"""Request rate limits hold in total across the API's worker processes.

trove-api runs as a real process with two gunicorn workers and a low GET
rate; requests arrive on fresh connections, so both workers serve them.
A per-worker counter would let through twice the limit; the shared
bucket file must let through the limit, and refuse the rest with 413
``overLimit`` and a ``Retry-After``.
"""

import os
import pathlib
import shutil
import sys
import tempfile
import time

import pytest
import requests

from tests.functional.api import app as api_app
from tests.functional.api import seed
from tests.helpers import ports, processes

pytestmark = pytest.mark.functional

VENV_BIN = pathlib.Path(sys.executable).parent
GET_RATE = 30          # per minute: a request costs 2 s of the bucket
POST_RATE = 4
REQUESTS = 80


def _children(pid):
    children = []
    for entry in pathlib.Path('/proc').iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / 'stat').read_text()
        except OSError:
            continue
        if int(stat.rsplit(')', 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return sorted(children)


def _bytes_read(pid):
    """Bytes a process read so far (sockets included), from /proc."""
    for line in pathlib.Path('/proc/%d/io' % pid).read_text().splitlines():
        name, _, value = line.partition(':')
        if name == 'rchar':
            return int(value)
    raise AssertionError('no rchar for pid %d' % pid)


@pytest.fixture(scope='module')
def server():
    state_dir = pathlib.Path(tempfile.mkdtemp(prefix='trove-rate-test-'))
    url = 'sqlite:///%s' % (state_dir / 'trove.sqlite')
    api_app.migrate(url)
    seed.seed_database(url)
    port = ports.free_port()
    config = state_dir / 'trove.conf'
    config.write_text(
        '[DEFAULT]\nauth_strategy = noauth\nbind_host = 127.0.0.1\n'
        'bind_port = %d\ntrove_api_workers = 2\nstate_path = %s\n'
        'http_get_rate = %d\nhttp_post_rate = %d\n'
        '[database]\nconnection = %s\n'
        % (port, state_dir, GET_RATE, POST_RATE, url))
    process = processes.ManagedProcess(
        [str(VENV_BIN / 'trove-api'), '--config-file', str(config)],
        str(state_dir / 'trove-api.log'),
        env=dict(os.environ, PYTHONWARNINGS='ignore'))
    try:
        root = 'http://127.0.0.1:%d' % port
        processes.wait_until(lambda: _answers(root) or not process.alive(),
                             timeout=60, message='trove-api did not start')
        assert process.alive(), process.log_tail()
        processes.wait_until(lambda: len(_children(process.pid)) == 2,
                             timeout=30, message='two workers')
        yield root, process
    finally:
        process.stop()
        shutil.rmtree(state_dir, ignore_errors=True)


def _answers(root):
    try:
        return requests.get(root + '/', timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def _fresh_get(url):
    # A new connection per request: the kernel hands each accept to
    # whichever worker polls first.
    return requests.get(url, headers={'Connection': 'close'}, timeout=30)


def test_get_limit_holds_across_two_workers(server):
    root, process = server
    url = root + '/v1.0/rate-project/flavors'
    workers = _children(process.pid)
    before = {pid: _bytes_read(pid) for pid in workers}
    started = time.monotonic()

    responses = [_fresh_get(url) for _ in range(REQUESTS)]

    elapsed = time.monotonic() - started
    served = {pid: _bytes_read(pid) - before[pid] for pid in workers}
    accepted = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 413]
    assert len(accepted) + len(refused) == REQUESTS, {
        r.status_code for r in responses}
    # The bucket leaks one request's worth every 60/GET_RATE seconds.
    leaked = int(elapsed * GET_RATE / 60) + 1
    assert GET_RATE <= len(accepted) <= GET_RATE + leaked, (
        len(accepted), elapsed)
    assert len(accepted) < 2 * GET_RATE
    # Both workers read requests (each is a few hundred bytes), so the
    # total is not one worker's count.
    assert all(count > 10 * 200 for count in served.values()), served
    fault = refused[0].json()['overLimit']
    assert fault['code'] == 413
    assert fault['message'] == 'This request was rate-limited.'
    assert fault['details'] == ('Only %d GET request(s) can be made to * '
                                'every minute.' % GET_RATE)
    retry_after = int(refused[0].headers['Retry-After'])
    assert 0 < retry_after <= 60 / GET_RATE + 1
    assert fault['retryAfter'] == str(retry_after)


def test_limits_are_per_project_and_per_verb(server):
    root, _process = server
    other = root + '/v1.0/rate-other-project'
    # Another project starts with a full allowance of every verb...
    assert _fresh_get(other + '/limits').status_code == 200
    # ...and POSTs have a bucket of their own.
    codes = [requests.post(other + '/instances', json={'instance': {}},
                           headers={'Connection': 'close'},
                           timeout=30).status_code
             for _ in range(POST_RATE + 2)]
    assert codes[:POST_RATE] == [400] * POST_RATE
    assert codes[POST_RATE:] == [413, 413]
    limits = _fresh_get(other + '/limits').json()['limits']
    by_verb = {(e['verb'], e['uri']): e for e in limits[1:]}
    assert by_verb[('POST', '*')]['remaining'] == 0
    assert by_verb[('POST', '*')]['value'] == POST_RATE
    assert by_verb[('GET', '*')]['value'] == GET_RATE
    # Two GETs so far (this one included).
    assert by_verb[('GET', '*')]['remaining'] == GET_RATE - 2
