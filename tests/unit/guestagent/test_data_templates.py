"""Data directory templates: built once per key, copied whole or not at
all; and the settings a MySQL-family template is keyed on."""

import concurrent.futures
import os
import threading

import pytest

from trove.guestagent.datastore import data_templates
from trove.guestagent.datastore.mysql_common import engine_settings


def fake_initialisation(calls, fail=False):
    lock = threading.Lock()

    def build(directory):
        with lock:
            calls.append(directory)
        os.mkdir(os.path.join(directory, 'mysql'))
        with open(os.path.join(directory, 'ibdata1'), 'wb') as data:
            # Mostly zeros, as a fresh InnoDB tablespace is.
            data.write(b'header' + bytes(1 << 20) + b'trailer')
        if fail:
            raise RuntimeError('install-db failed')
    return build


def empty_data_dir(tmp_path, name):
    path = tmp_path / name / 'data'
    path.mkdir(parents=True, mode=0o750)
    return str(path)


def test_one_build_for_many_instances_at_once(tmp_path):
    calls = []
    build = fake_initialisation(calls)
    data_dirs = [empty_data_dir(tmp_path, 'i%d' % n) for n in range(6)]
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        results = list(pool.map(
            lambda d: data_templates.initialize(
                str(tmp_path / 'templates'), 'mariadb', {'v': 1}, build, d),
            data_dirs))
    assert results == [True] * 6
    assert len(calls) == 1
    for data_dir in data_dirs:
        assert sorted(os.listdir(data_dir)) == ['ibdata1', 'mysql']
        copied = os.path.join(data_dir, 'ibdata1')
        with open(copied, 'rb') as data:
            assert data.read() == b'header' + bytes(1 << 20) + b'trailer'
        # The zeros were not written: the copy is sparse.
        assert os.stat(copied).st_blocks * 512 < (1 << 20) // 2
        assert oct(os.stat(data_dir).st_mode & 0o777) == '0o750'
        assert not os.path.exists(data_dir + '.from-template')
    # Another key (another version or setting) gets a template of its own.
    other = empty_data_dir(tmp_path, 'other')
    data_templates.initialize(str(tmp_path / 'templates'), 'mariadb',
                              {'v': 2}, build, other)
    assert len(calls) == 2


def test_a_failed_build_leaves_no_template(tmp_path):
    calls = []
    root = str(tmp_path / 'templates')
    data_dir = empty_data_dir(tmp_path, 'i')
    with pytest.raises(RuntimeError):
        data_templates.initialize(root, 'mariadb', {'v': 1},
                                  fake_initialisation(calls, fail=True),
                                  data_dir)
    assert [name for name in os.listdir(root)
            if not name.endswith('.lock')] == []
    assert os.listdir(data_dir) == []
    # The next try builds it again.
    assert data_templates.initialize(root, 'mariadb', {'v': 1},
                                     fake_initialisation(calls), data_dir)
    assert len(calls) == 2


def test_a_data_dir_with_files_is_left_alone(tmp_path):
    data_dir = empty_data_dir(tmp_path, 'i')
    (tmp_path / 'i' / 'data' / 'half-done').write_text('x')
    calls = []
    assert not data_templates.initialize(str(tmp_path / 't'), 'mariadb',
                                         {'v': 1},
                                         fake_initialisation(calls), data_dir)
    assert calls == []


def test_template_keys_follow_the_material():
    key = data_templates.template_key
    assert key({'a': 1, 'b': [1, 2]}) == key({'b': [1, 2], 'a': 1})
    assert key({'a': 1}) != key({'a': 2})


def test_settings_follow_includes_and_leave_out_the_instance(tmp_path):
    conf_d = tmp_path / 'conf.d'
    conf_d.mkdir()
    (tmp_path / 'base.cnf').write_text(
        '[client]\ndefault-character-set = utf8mb4\n'
        '[mysqld]\nserver_id = 17\ninnodb-page-size = 16k\n'
        'skip_name_resolve\ninnodb_log_file_size = 16M  # small\n')
    (conf_d / 'overrides.cnf').write_text(
        '[mysqld]\ninnodb_log_file_size = 32M\nloose-bind-address = x\n')
    (tmp_path / 'tls.cnf').write_text('[mysqld]\nssl_cert = /a/b.pem\n')
    (tmp_path / 'my.cnf').write_text(
        '# Written by the agent\n!include %s\n!includedir %s\n!include %s\n'
        % (tmp_path / 'base.cnf', conf_d, tmp_path / 'tls.cnf'))
    assert engine_settings.read(str(tmp_path / 'my.cnf')) == {
        'innodb_page_size': '16k', 'skip_name_resolve': None,
        'innodb_log_file_size': '32M'}


def test_an_unusable_template_directory_falls_back(tmp_path):
    """A template directory that cannot be written (here: a file in its
    place) leaves the data directory to the caller, empty and intact."""
    blocker = tmp_path / 'templates'
    blocker.write_text('not a directory')
    data_dir = empty_data_dir(tmp_path, 'i')
    calls = []
    assert not data_templates.initialize(str(blocker), 'mariadb', {'v': 1},
                                         fake_initialisation(calls), data_dir)
    assert calls == []
    assert os.path.isdir(data_dir) and os.listdir(data_dir) == []
    assert oct(os.stat(data_dir).st_mode & 0o777) == '0o750'
    assert not os.path.exists(data_dir + '.from-template')
