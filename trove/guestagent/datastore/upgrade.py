"""Restarting this instance's engine on another version of its datastore.

The new version must be a release of the installed engine that can run
the data on the volume: the same major.minor for the MySQL family, the
same major for PostgreSQL (whose data directory also names its major in
PG_VERSION; a different major would need pg_upgrade, which is refused).
On any failure the old configuration and version are restored and the
engine started again, so the instance keeps running what it ran.
"""

import os
import re

from oslo_log import log as logging

from trove.common import engines
from trove.common import exception
from trove.common.states import ServiceStatuses
from trove.conf import CONF
from trove.guestagent import operating_system

LOG = logging.getLogger(__name__)

# How many leading numbers make a release whose binaries read the data.
RELEASE_PARTS = {'mariadb': 2, 'mysql': 2, 'postgresql': 1}
VERSION_FILE = 'zz-datastore-version.conf'


def release(manager, number):
    parts = [int(p) for p in re.findall(r'\d+', number or '')]
    return tuple(parts[:RELEASE_PARTS.get(manager, 2)])


def check_runnable(manager, engine, number):
    """BadRequest unless the installed binaries run version ``number``
    on this instance's data."""
    installed = engines.find_engine(manager)
    if installed is None:
        raise exception.BadRequest('No %s is installed on this host.'
                                   % manager)
    if release(manager, installed.version) != release(manager, number):
        raise exception.BadRequest(
            'Version %s needs %s %s binaries; this host has %s.' % (
                number, manager, '.'.join(map(str, release(manager,
                                                           number))),
                installed.version))
    data_version = operating_system.read_file(
        os.path.join(getattr(engine, 'pgdata', ''), 'PG_VERSION')) \
        if manager == 'postgresql' else None
    if data_version and release(manager, data_version.strip()) != \
            release(manager, number):
        raise exception.BadRequest(
            'The data was written by PostgreSQL %s; version %s would need '
            'pg_upgrade, which is not supported.' % (data_version.strip(),
                                                     number))
    return installed


def _record_version(number):
    """Keep the version for the agent's next starts (a config file read
    after the injected ones) and for this process."""
    CONF.set_override('datastore_version', number)
    config_dir = CONF.config_dir
    if isinstance(config_dir, (list, tuple)):
        # oslo.config keeps every --config-dir; the agent has one.
        config_dir = config_dir[-1] if config_dir else None
    if config_dir:
        operating_system.write_file(
            os.path.join(config_dir, VERSION_FILE),
            '# Written by the guest agent after a datastore upgrade.\n'
            '[DEFAULT]\ndatastore_version = %s\n' % number, mode=0o600)
    else:
        LOG.warning('No config dir: datastore version %s is not kept for '
                    'the next start of the agent', number)


def upgrade(manager, upgrade_info):
    """``manager`` is the datastore Manager (engine, status, overrides);
    the caller holds its lock."""
    number = upgrade_info['datastore_version']
    engine = manager.engine
    installed = check_runnable(manager.manager_name, engine, number)
    old_number = CONF.datastore_version
    old_config = operating_system.read_file(engine.base_config_path)
    manager.status.report(ServiceStatuses.UPGRADING)
    engine.stop()
    try:
        if upgrade_info.get('config_contents'):
            engine.write_base_config(upgrade_info['config_contents'])
        _record_version(number)
        manager.overrides.start_engine()
    except Exception:
        LOG.exception('Upgrade to %s failed; back to %s', number,
                      old_number)
        if old_config is not None:
            engine.write_base_config(old_config)
        _record_version(old_number)
        engine.stop()
        manager.overrides.start_engine()
        raise
    finally:
        manager.status.mark_stopped(False)
        manager.status.report(manager.actual_status())
    LOG.info('%s runs version %s now', engine.display_name, number)
    return {'datastore_version': number,
            'engine_version': installed.version}
