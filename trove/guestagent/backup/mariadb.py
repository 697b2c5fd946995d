"""MariaDB backups with mariadb-backup (upstream driver ``mariabackup``).

Backup: ``mariadb-backup --backup --stream=xbstream`` as os_admin over the
socket; an incremental adds ``--incremental-lsn=<parent's lsn>``, the LSN
recorded in the parent's metadata, so no local state from earlier backups
is needed. The LSN of a backup is ``to_lsn`` of the checkpoints file
mariadb-backup writes to ``--extra-lsndir`` (a few bytes, not the data).

Restore: each backup of the chain is unpacked with ``mbstream -x`` into a
staging directory on the data volume; the full one is prepared, every
incremental applied in order with ``--prepare --incremental-dir``, and the
result becomes the data directory, owned by the engine user. The first
start runs an init file that sets os_admin's password to a new one (the
restored grant tables hold the source instance's).
"""

import os
import shutil

from oslo_log import log as logging

from trove.guestagent import errors
from trove.guestagent import operating_system
from trove.guestagent.backup import pipeline
from trove.guestagent.backup import strategy
from trove.guestagent.datastore import engine as engine_base

LOG = logging.getLogger(__name__)

SUCCESS_MARK = 'completed OK!'
CHECKPOINTS = 'xtrabackup_checkpoints'
INIT_CONF = 'zz-restore-init.cnf'
ADMIN_USER = engine_base.ADMIN_USER


def read_checkpoints(path):
    """The key = value pairs of an xtrabackup_checkpoints file."""
    values = {}
    for line in (operating_system.read_file(path, '') or '').splitlines():
        key, sep, value = line.partition('=')
        if sep:
            values[key.strip()] = value.strip()
    return values


def init_sql(password):
    # The password is generated from letters and digits only.
    account = "'%s'@'localhost'" % ADMIN_USER
    # Not in the binary log: a replica restored from this backup must hold
    # no transaction of its own.
    return ("SET sql_log_bin = 0;\n"
            "CREATE USER IF NOT EXISTS %(account)s IDENTIFIED BY '%(pw)s';\n"
            "ALTER USER %(account)s IDENTIFIED BY '%(pw)s';\n"
            "GRANT ALL PRIVILEGES ON *.* TO %(account)s WITH GRANT OPTION;\n"
            % {'account': account, 'pw': password})


class MariaBackup(strategy.Strategy):

    name = 'mariabackup'
    extension = '.xbstream.gz'

    @staticmethod
    def binary():
        return strategy.tool('mariadb-backup', 'mariabackup')

    @property
    def lsn_dir(self):
        return os.path.join(self.work_dir, 'lsn')

    # Backup -----------------------------------------------------------------
    def backup_command(self, parent):
        engine = self.engine
        password = engine.admin_password()
        if password is None:
            raise errors.EngineError('The instance has no os_admin account '
                                     'yet; it cannot be backed up.')
        self.empty_dir(self.lsn_dir)
        args = [self.binary(),
                '--defaults-file=%s' % engine.defaults_file,
                '--backup', '--stream=xbstream',
                '--datadir=%s' % engine.data_dir,
                '--socket=%s' % engine.socket_path,
                '--user=%s' % ADMIN_USER, '--password=%s' % password,
                '--target-dir=%s' % os.path.join(self.work_dir, 'target'),
                '--extra-lsndir=%s' % self.lsn_dir]
        if parent is not None:
            lsn = parent.get('lsn')
            if not lsn:
                raise errors.GuestAgentError(
                    'The parent backup records no LSN; an incremental '
                    'backup cannot be based on it.')
            args.append('--incremental-lsn=%s' % lsn)
        return pipeline.Command(args, name='mariadb-backup', secret=password)

    def backup_metadata(self, chain, parent):
        output = chain.stderr_of(0)
        if SUCCESS_MARK not in output:
            raise errors.GuestAgentError(
                'mariadb-backup did not report success.', output)
        checkpoints = read_checkpoints(os.path.join(self.lsn_dir,
                                                    CHECKPOINTS))
        if not checkpoints.get('to_lsn'):
            raise errors.GuestAgentError(
                'mariadb-backup wrote no LSN for this backup.', output)
        return {'lsn': checkpoints['to_lsn']}

    # Restore ---------------------------------------------------------------
    @property
    def staging_dir(self):
        # On the data volume: the unpacked backups need its space, and the
        # prepared copy becomes the data directory by a rename.
        return os.path.join(self.engine.mount_point, '.restore')

    def restore(self, links, extract):
        staging = self.empty_dir(self.staging_dir)
        try:
            targets = []
            for index, link in enumerate(links):
                target = os.path.join(staging, 'base' if index == 0
                                      else 'incremental-%d' % index)
                os.makedirs(target, mode=0o700)
                extract(link, pipeline.Command(
                    [strategy.tool('mbstream'), '-x', '-C', target]))
                targets.append(target)
            base = targets[0]
            self.prepare(['--target-dir=%s' % base])
            for incremental in targets[1:]:
                self.prepare(['--target-dir=%s' % base,
                              '--incremental-dir=%s' % incremental])
            self.replace_data_dir(base)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def prepare(self, args):
        try:
            output = self.run([self.binary(), '--prepare'] + args)
        except errors.CommandError as error:
            raise errors.EngineError(
                'mariadb-backup could not prepare the backup: %s'
                % '; '.join(error.output.strip().splitlines()[-2:]),
                error.output) from error
        if SUCCESS_MARK not in output:
            raise errors.EngineError('mariadb-backup --prepare did not '
                                     'report success.', output)

    def replace_data_dir(self, prepared):
        data_dir = self.engine.data_dir
        if os.path.isdir(data_dir):
            shutil.rmtree(data_dir)
        os.rename(prepared, data_dir)
        os.chmod(data_dir, 0o750)
        self.give_to_engine(data_dir)
        LOG.info('Restored data directory %s', data_dir)

    def start_restored(self):
        engine = self.engine
        engine.prepare_runtime()
        password = operating_system.generate_password(
            engine.conf.default_password_length)
        init_file = os.path.join(engine.runtime_dir, 'restore-init.sql')
        init_conf = os.path.join(engine.overrides_dir, INIT_CONF)
        operating_system.write_file(init_file, init_sql(password),
                                    mode=0o600, owner=engine.user)
        operating_system.write_file(init_conf,
                                    '[mysqld]\ninit_file = %s\n' % init_file)
        engine.store_admin_password(password)
        try:
            engine.start()
        finally:
            operating_system.remove(init_conf)
            operating_system.remove(init_file)
