"""The checked-in config and policy samples are what the code generates.

When one of these fails, run tools/generate_samples.sh and commit the
result.
"""

import os
import pathlib
import shutil
import socket
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
ETC = REPO / 'etc' / 'trove'
HINT = 'is stale: run tools/generate_samples.sh and commit the result'


def _tool(name):
    local = pathlib.Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        pytest.skip('%s is not installed' % name)
    return found


def _generate(tool, config_file, output):
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    result = subprocess.run(
        [_tool(tool), '--config-file', str(config_file),
         '--output-file', str(output)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return output.read_text()


def test_config_generator_input_names_every_namespace():
    text = (ETC / 'trove-config-generator.conf').read_text()
    namespaces = {line.split('=', 1)[1].strip() for line in text.splitlines()
                  if line.startswith('namespace')}
    assert namespaces == {'trove.config', 'oslo.log', 'oslo.messaging',
                          'oslo.db', 'oslo.policy', 'oslo.middleware',
                          'keystonemiddleware.auth_token'}


def test_trove_conf_sample_is_up_to_date(tmp_path):
    generated = _generate('oslo-config-generator',
                          ETC / 'trove-config-generator.conf',
                          tmp_path / 'trove.conf.sample')
    checked_in = (ETC / 'trove.conf.sample').read_text()
    assert generated == checked_in, 'etc/trove/trove.conf.sample ' + HINT


def test_policy_sample_is_up_to_date(tmp_path):
    generated = _generate('oslopolicy-sample-generator',
                          ETC / 'policy-generator.conf',
                          tmp_path / 'policy.yaml.sample')
    checked_in = (ETC / 'policy.yaml.sample').read_text()
    assert generated == checked_in, 'etc/trove/policy.yaml.sample ' + HINT


@pytest.mark.parametrize('sample', ['trove.conf.sample',
                                    'policy.yaml.sample'])
def test_samples_hold_nothing_of_this_machine(sample):
    """Machine-dependent defaults must use sample_default."""
    text = (ETC / sample).read_text()
    hostname = socket.gethostname()
    if hostname not in ('localhost', ''):
        assert hostname not in text
    for path in (str(REPO), sys.prefix, os.path.expanduser('~')):
        if path not in ('/', ''):
            assert path + '/' not in text, path


def test_conf_sample_shows_trove_defaults():
    text = (ETC / 'trove.conf.sample').read_text()
    for line in ('#bind_port = 8779', '#control_exchange = trove',
                 '#connection = sqlite:///$state_path/trove.sqlite',
                 '[mysql]', '[mariadb]', '[postgresql]',
                 '[keystone_authtoken]', '[oslo_policy]'):
        assert '\n' + line + '\n' in text, line


def test_policy_sample_shows_upstream_rules():
    text = (ETC / 'policy.yaml.sample').read_text()
    for line in ('#"admin_or_owner": "rule:admin or project_id:%(tenant)s"',
                 '#"instance:reset_status": "rule:admin"',
                 '#"datastore:index": "rule:admin_or_owner"'):
        assert '\n' + line + '\n' in text, line


def test_policy_enforcer_entry_point_serves_the_oslopolicy_tools(tmp_path):
    """oslopolicy-policy-generator loads our enforcer (oslo.policy.enforcer
    entry point) after parsing its own command line."""
    output = tmp_path / 'policy.yaml'
    result = subprocess.run(
        [_tool('oslopolicy-policy-generator'), '--namespace', 'trove',
         '--output-file', str(output)],
        cwd=tmp_path, env=dict(os.environ, PYTHONWARNINGS='ignore'),
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = output.read_text().splitlines()
    assert '"datastore:delete": "rule:admin"' in lines
    assert '"instance:create": "rule:admin_or_owner"' in lines
