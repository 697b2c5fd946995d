"""The guest image installer (tools/guest-image) in a throwaway root.

``install-guest.sh`` runs with packages skipped and the project's venv as
the agent's, into a temp root: it must leave the units that mount the
data volume and start the agent from the injected conf.d, enabled for
boot. ``trove-guest-volume`` must format a new volume and mount it at the
datastore's mount point, leave a mounted one alone, and do nothing
without a device.
"""

import importlib.machinery
import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.functional

GUEST_IMAGE = pathlib.Path(__file__).resolve().parents[3] / 'tools' / \
    'guest-image'
VENV = os.path.dirname(os.path.dirname(sys.executable))


def install_into(root, script=GUEST_IMAGE / 'install-guest.sh', **env):
    # The project's venv stands for the one pip would make in the image.
    (root / 'opt').mkdir(parents=True, exist_ok=True)
    os.symlink(VENV, root / 'opt' / 'trove-guestagent-venv')
    environment = dict(os.environ, TROVE_GUEST_ROOT=str(root),
                       TROVE_INSTALL_PACKAGES='0', **env)
    return subprocess.run(['sh', str(script)], env=environment,
                          capture_output=True, text=True, timeout=60)


def _volume_tool():
    loader = importlib.machinery.SourceFileLoader(
        'trove_guest_volume', str(GUEST_IMAGE / 'trove-guest-volume'))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_installer_leaves_enabled_units_starting_from_injected_files(
        tmp_path):
    result = install_into(tmp_path)

    assert result.returncode == 0, result.stderr
    units = tmp_path / 'etc' / 'systemd' / 'system'
    agent = (units / 'trove-guestagent.service').read_text()
    assert 'ExecStart=/opt/trove-guestagent-venv/bin/trove-guestagent ' \
        '--config-dir /etc/trove/conf.d' in agent
    assert 'ConditionPathExists=/etc/trove/conf.d/guest_info.conf' in agent
    assert 'Requires=trove-guest-volume.service' in agent
    volume = (units / 'trove-guest-volume.service').read_text()
    assert '/usr/local/sbin/trove-guest-volume /etc/trove/conf.d' in volume
    wants = units / 'multi-user.target.wants'
    assert sorted(os.listdir(wants)) == ['trove-guest-volume.service',
                                         'trove-guestagent.service']
    assert os.access(tmp_path / 'usr' / 'local' / 'sbin' /
                     'trove-guest-volume', os.X_OK)
    assert (tmp_path / 'etc' / 'trove' / 'conf.d').is_dir()


def test_installer_alone_starts_the_agent_without_a_volume_unit(tmp_path):
    # As a datastore's .cloudinit part: the installer without its helper.
    alone = tmp_path / 'cloudinit'
    alone.mkdir()
    shutil.copy(GUEST_IMAGE / 'install-guest.sh', alone)
    root = tmp_path / 'root'

    result = install_into(root, script=alone / 'install-guest.sh')

    assert result.returncode == 0, result.stderr
    assert 'the data volume is not mounted' in result.stderr
    units = root / 'etc' / 'systemd' / 'system'
    agent = (units / 'trove-guestagent.service').read_text()
    assert 'Requires=' not in agent
    assert not (units / 'trove-guest-volume.service').exists()
    assert os.listdir(units / 'multi-user.target.wants') == [
        'trove-guestagent.service']


def test_installer_refuses_an_unknown_datastore(tmp_path):
    result = install_into(tmp_path, TROVE_DATASTORE='oracle')

    assert result.returncode == 2
    assert 'unknown datastore oracle' in result.stderr


def _conf_dir(tmp_path, manager, extra=''):
    conf_d = tmp_path / 'conf.d'
    conf_d.mkdir()
    (conf_d / 'guest_info.conf').write_text(
        '[DEFAULT]\nguest_id = x\ndatastore_manager = %s\n' % manager)
    (conf_d / 'trove-guestagent.conf').write_text('[DEFAULT]\n' + extra)
    return conf_d


def test_volume_tool_formats_a_new_volume_and_mounts_it(tmp_path):
    tool = _volume_tool()
    settings = tool.read_settings(str(_conf_dir(tmp_path, 'postgresql')))

    assert settings == {'manager': 'postgresql', 'volume_driver': 'block',
                        'device': '/dev/vdb',
                        'mount_point': '/var/lib/postgresql'}
    assert tool.plan(settings, True, False, False) == [
        ['mkfs.ext4', '-m', '5', '/dev/vdb'],
        ['mkdir', '-p', '/var/lib/postgresql'],
        ['mount', '-t', 'ext4', '-o', 'defaults,noatime', '/dev/vdb',
         '/var/lib/postgresql']]
    # Formatted already (a rebooted guest): only mounted.
    assert tool.plan(settings, True, False, True)[0][0] == 'mkdir'
    # Mounted, no device, or a directory volume: nothing to do.
    assert tool.plan(settings, True, True, True) == []
    assert tool.plan(settings, False, False, False) == []
    assert tool.plan(dict(settings, volume_driver='directory'), True,
                     False, False) == []


def test_volume_tool_follows_the_datastore_section(tmp_path):
    device = tmp_path / 'disk'
    device.write_bytes(b'\0' * 4096)
    conf_d = _conf_dir(tmp_path, 'mariadb', '[mariadb]\ndevice_path = %s\n'
                       'mount_point = /srv/db\n' % device)

    result = subprocess.run(
        [sys.executable, str(GUEST_IMAGE / 'trove-guest-volume'),
         str(conf_d), '--wait', '0', '--dry-run'],
        capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        'mkfs.ext4 -m 5 %s' % device, 'mkdir -p /srv/db',
        'mount -t ext4 -o defaults,noatime %s /srv/db' % device]
