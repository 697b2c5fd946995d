"""Guest log states and publishing, on real files and a real local store
(a temporary directory); the engine is a stand-in that declares one user
log and one system log and records being switched."""

import json
import os

import pytest

from trove.common import exception
from trove.guestagent import guest_log
from trove.storage import logs as log_storage

INSTANCE = '11111111-2222-3333-4444-555555555555'


class Engine:
    def __init__(self, directory):
        self.directory = directory
        self.switched = []

    def path(self, name):
        return os.path.join(self.directory, name + '.log')

    def guest_logs(self):
        return [
            guest_log.LogSpec(
                'general', guest_log.USER, self.path('general'),
                enable=lambda: self.switched.append('on'),
                disable=lambda: self.switched.append('off')),
            guest_log.LogSpec('error', guest_log.SYS, self.path('error'))]


@pytest.fixture
def logs(tmp_path):
    engine = Engine(str(tmp_path))
    store = log_storage.LocalLogStore(root=str(tmp_path / 'store'),
                                      container='database_logs')
    (tmp_path / 'store').mkdir()
    logs = guest_log.GuestLogs(engine, 'mariadb', state_dir=str(tmp_path),
                               instance_id=INSTANCE,
                               store_factory=lambda context=None: store)
    logs.store = store
    return logs


def _by_name(logs):
    return {log['name']: log for log in logs.list()}


def _append(logs, name, text):
    with open(logs.engine.path(name), 'a') as log:
        log.write(text)


def test_user_log_is_disabled_until_enabled(logs):
    listed = _by_name(logs)
    assert listed['general']['status'] == 'Disabled'
    assert listed['error']['status'] == 'Unavailable'
    assert listed['general']['metafile'] == \
        INSTANCE + '/mariadb-general_metafile'
    assert (listed['general']['container'],
            listed['general']['prefix']) == ('None', 'None')
    with pytest.raises(exception.BadRequest):
        logs.action('general', publish=True)
    shown = logs.action('general', enable=True)
    assert logs.engine.switched == ['on']
    assert (shown['status'], shown['pending']) == ('Enabled', '0')
    _append(logs, 'general', 'select 1\n')
    assert _by_name(logs)['general']['status'] == 'Ready'


def test_publish_writes_new_bytes_in_segments(logs, monkeypatch):
    monkeypatch.setattr(guest_log.CONF, 'guest_log_limit', 10,
                        raising=False)
    logs.action('general', enable=True)
    _append(logs, 'general', 'line one\nline two\n')
    shown = logs.action('general', publish=True)
    assert (shown['status'], shown['published'], shown['pending']) == (
        'Published', '18', '0')
    prefix = INSTANCE + '/mariadb-general/'
    assert shown['prefix'] == prefix
    assert shown['container'] == 'database_logs'
    segments = logs.store.list(prefix)
    assert len(segments) == 2
    assert b''.join(logs.store.read(s) for s in segments) == \
        b'line one\nline two\n'
    _append(logs, 'general', 'line three\n')
    assert _by_name(logs)['general']['status'] == 'Partial'
    assert _by_name(logs)['general']['pending'] == '11'
    logs.action('general', publish=True)
    everything = b''.join(logs.store.read(s)
                          for s in logs.store.list(prefix))
    assert everything == b'line one\nline two\nline three\n'
    meta = json.loads(logs.store.read(INSTANCE + '/mariadb-general_metafile'))
    assert meta['published'] == 29

    shown = logs.action('general', discard=True)
    assert logs.store.list(prefix) == []
    assert (shown['published'], shown['status']) == ('0', 'Ready')


def test_system_logs_cannot_be_switched_and_unknown_logs_are_404(logs):
    with pytest.raises(exception.BadRequest):
        logs.action('error', disable=True)
    with pytest.raises(exception.NotFound):
        logs.action('nosuch')
    with pytest.raises(exception.BadRequest):
        logs.action('general', enable=True, disable=True)


def test_store_names_stay_inside_the_store(tmp_path):
    store = log_storage.LocalLogStore(root=str(tmp_path), container='c')
    for bad in ('../x', '/etc/passwd', 'a//b', 'a/./b'):
        with pytest.raises(log_storage.base.StorageError):
            store.put(bad, b'x')
