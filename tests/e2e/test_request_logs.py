"""Every log line of a request carries that request's id, in every service.

A second trove-api with one worker process and one thread serves the
shared e2e system (same control database and RabbitMQ vhost), logging
to a file of its own, so every request below runs on the same worker
thread, one after the other. Each request's ``x-openstack-request-id``
must be on its own lines and only there: the API's access line (with the
status) and controller lines, the taskmanager's flow, the guest agent's
work and the conductor's records of it -- never a previous request's id
left on the thread.
"""

import os
import re
import uuid

import pytest
import requests

from tests.e2e import system as e2e
from tests.helpers import ports, processes

pytestmark = pytest.mark.e2e

_REQUEST_ID = re.compile(r'\breq-[0-9a-f-]{36}\b')


@pytest.fixture
def single_thread_api(trove_system, tmp_path):
    """(endpoint root, log path) of a one-worker, one-thread trove-api."""
    port = ports.free_port()
    log_path = tmp_path / 'single-api.log'
    extra = tmp_path / 'single-api.conf'
    extra.write_text('[DEFAULT]\nbind_port = %d\ntrove_api_workers = 1\n'
                     'trove_api_threads = 1\nlog_file = %s\n'
                     % (port, log_path))
    process = processes.ManagedProcess(
        [os.path.join(e2e.VENV_BIN, 'trove-api'), '--config-file',
         os.path.join(trove_system.state_dir, 'trove.conf'),
         '--config-file', str(extra)],
        str(tmp_path / 'single-api.out'),
        env=dict(os.environ, PYTHONWARNINGS='ignore'))
    root = 'http://127.0.0.1:%d' % port
    try:
        processes.wait_until(lambda: _answers(root) or not process.alive(),
                             timeout=60, message='trove-api did not start')
        assert process.alive(), process.log_tail()
        yield root, log_path
    finally:
        process.stop()


def _answers(root):
    try:
        return requests.get(root + '/', timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def _lines(path, *needles):
    with open(path, encoding='utf-8', errors='replace') as log:
        return [line for line in log
                if all(needle in line for needle in needles)]


def _ids(line):
    return set(_REQUEST_ID.findall(line))


def _send(root, project, method, path, body=None):
    response = requests.request(method, '%s/v1.0/%s%s' % (root, project,
                                                          path),
                                json=body, timeout=60)
    return response, response.headers['x-openstack-request-id']


def _guest_log(system, instance_id):
    return os.path.join(system.instance_dir(instance_id), 'logs',
                        'guestagent.log')


def _service_log(system, name):
    return os.path.join(system.state_dir, 'logs', name + '.log')


def test_each_request_id_is_on_its_own_lines(trove_system,
                                             single_thread_api):
    root, api_log = single_thread_api
    project = 'e2e-logs-' + uuid.uuid4().hex[:6]
    trove = trove_system.client(project)

    created, create_id = _send(root, project, 'POST', '/instances', {
        'instance': {
            'name': 'logged', 'flavorRef': '1', 'volume': {'size': 1},
            'datastore': {'type': 'mariadb', 'version': '10.11'},
            'databases': [{'name': 'logdb'}],
            'users': [{'name': 'loguser', 'password': 'log-pass-1',
                       'databases': [{'name': 'logdb'}]}]}})
    assert created.status_code == 200, created.text
    instance_id = created.json()['instance']['id']
    deleted = False
    try:
        e2e.wait_for_instance(trove, instance_id, system=trove_system)
        missing, missing_id = _send(root, project, 'GET',
                                    '/instances/%s' % uuid.uuid4())
        assert missing.status_code == 404
        backup, backup_id = _send(root, project, 'POST', '/backups', {
            'backup': {'name': 'logged', 'instance': instance_id}})
        assert backup.status_code == 202, backup.text
        backup_row = backup.json()['backup']['id']
        processes.wait_until(
            lambda: trove.backups.get(backup_row).status == 'COMPLETED',
            timeout=120, message='the backup did not complete')
        # The guest's log goes with the instance: read it now.
        guest = _guest_log(trove_system, instance_id)
        prepare = _lines(guest, 'Preparing mariadb')
        started = _lines(guest, 'Backup %s (full)' % backup_row)
        gone, delete_id = _send(root, project, 'DELETE',
                                '/instances/%s' % instance_id)
        assert gone.status_code == 202, gone.text
        deleted = True
        e2e.wait_for_deleted(trove, instance_id)
    finally:
        if not deleted:
            trove.instances.delete(instance_id)
            e2e.wait_for_deleted(trove, instance_id)
    request_ids = {create_id, missing_id, backup_id, delete_id}
    assert len(request_ids) == 4

    # The API: one access line per request, with its status, carrying its
    # own id; the controllers' lines carry their request's id.
    instances = '/v1.0/%s/instances' % project
    for request_id, request_line, status in (
            (create_id, '"POST %s HTTP/1.1"' % instances, 200),
            (missing_id, '"GET %s/' % instances, 404),
            (backup_id, '"POST /v1.0/%s/backups HTTP/1.1"' % project, 202),
            (delete_id, '"DELETE %s/%s HTTP/1.1"' % (instances, instance_id),
             202)):
        [access] = _lines(api_log, request_line, 'status: %d' % status)
        assert _ids(access) == {request_id}, access
    for request_id, needle in (
            (create_id, 'Instance %s (mariadb' % instance_id),
            (backup_id, 'of instance %s requested' % instance_id),
            (delete_id, 'Instance %s is being deleted' % instance_id)):
        [line] = _lines(api_log, needle)
        assert _ids(line) == {request_id}, line
    for line in _lines(api_log, 'req-'):
        assert _ids(line) <= request_ids, line

    # The taskmanager's flows: building, backing up, deleting.
    flows = _lines(_service_log(trove_system, 'trove-taskmanager'),
                   instance_id)
    assert flows
    for line in flows:
        assert len(_ids(line) & request_ids) == 1, line
    for request_id in (create_id, backup_id, delete_id):
        assert any(request_id in line for line in flows), request_id

    # The guest agent: prepare (databases, users) and the backup.
    assert len(prepare) == 1 and _ids(prepare[0]) == {create_id}, prepare
    assert len(started) == 1 and _ids(started[0]) == {backup_id}, started

    # The conductor's record of the backup the guest reported.
    reported = _lines(_service_log(trove_system, 'trove-conductor'),
                      'Backup %s of instance' % backup_row)
    assert reported
    for line in reported:
        assert _ids(line) == {backup_id}, line
