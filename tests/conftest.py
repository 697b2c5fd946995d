"""Fixtures shared by every test tier."""

import os
import pathlib
import shutil
import tempfile

import pytest

from tests.helpers import databases
from tests.helpers import rabbit
from tests.helpers.identity import keystone_server  # noqa: F401
from tests.helpers.object_store import swift_server  # noqa: F401
from tests.helpers.object_store import swift_server_with_keystone  # noqa: F401

REPO_DIR = pathlib.Path(__file__).resolve().parent.parent


def _shared_dir():
    """../shared beside the checkout (upstream's samples); may be absent."""
    candidates = [os.environ.get('TROVE_SHARED_DIR'),
                  REPO_DIR.parent / 'shared', pathlib.Path('/work/shared')]
    for candidate in candidates:
        if candidate and (pathlib.Path(candidate) / 'fixtures').is_dir():
            return pathlib.Path(candidate)
    return None


@pytest.fixture(scope='session')
def api_samples_dir():
    shared = _shared_dir()
    if shared is None:
        pytest.skip('upstream api-ref samples (../shared) are not present')
    return shared / 'fixtures' / 'api-ref-samples'


@pytest.fixture
def world_tmp_dir():
    """A temp dir every user can traverse (engines run as other users)."""
    path = tempfile.mkdtemp(prefix='trove-test-')
    os.chmod(path, 0o755)
    yield pathlib.Path(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(params=databases.BACKENDS)
def control_db_url(request, tmp_path):
    """An empty control database on each backend in turn."""
    database = databases.TestDatabase(request.param, str(tmp_path))
    yield database.url
    database.drop()


@pytest.fixture(scope='session')
def rabbit_transport_url():
    vhost = rabbit.RabbitVhost()
    yield vhost.transport_url
    vhost.delete()


# CI keeps only the tail of a run's output: the end of each failure's
# report (where the assertion and its message are) is repeated there.
DIGEST_LINES = 15


def pytest_terminal_summary(terminalreporter):
    failed = (terminalreporter.stats.get('failed', []) +
              terminalreporter.stats.get('error', []))
    if not failed:
        return
    terminalreporter.section('digest of the failures')
    shown = set()
    for report in failed:
        tail = tuple(str(report.longrepr).rstrip().splitlines()
                     [-DIGEST_LINES:])
        terminalreporter.write_line('--- %s (%s)%s' % (
            report.nodeid, report.when,
            ': as above' if tail in shown else ''))
        if tail not in shown:
            shown.add(tail)
            for line in tail:
                terminalreporter.write_line('    ' + line[:300])
