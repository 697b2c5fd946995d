"""One database engine of this instance: its files, process and health.

An engine runs detached (trove.common.daemon.start_child), in its own session,
with its pid file directly in ``guest_state_dir`` (the local provider
kills every ``*.pid`` there when the instance is deleted). It therefore
survives the agent, and a restarted agent finds it again from that file.
Engine output (its error log) goes to ``<log_dir>/<engine>.log``; when a
start fails, the meaningful lines written by that start become the
user-visible message.

Subclasses name their binaries and paths and implement initialisation,
the health query and securing; this module must stay engine neutral.
"""

import abc
import functools
import os
import signal
import time

from oslo_log import log as logging

from trove.common import daemon
from trove.conf import CONF
from trove.guestagent import errors
from trove.guestagent import operating_system
from trove.guestagent.datastore import tls

LOG = logging.getLogger(__name__)

ADMIN_USER = 'os_admin'
ADMIN_PASSWORD_FILE = 'os_admin.password'
# Seconds between health checks while waiting for the first answer; the
# confirmations after it are state_change_poll_time apart.
FIRST_ANSWER_POLL = 0.25
LOG_TAIL_LINES = 40


class Engine(abc.ABC):

    manager = None          # the option group, e.g. 'mariadb'
    display_name = None     # for messages, e.g. 'MariaDB'
    pid_name = None         # pid file in guest_state_dir, e.g. 'mysqld.pid'
    log_name = None         # engine output in log_dir, e.g. 'mysqld.log'
    runtime_name = None     # engine-owned dir in guest_state_dir (socket)
    stop_signal = signal.SIGTERM

    def __init__(self):
        self.conf = CONF.get(self.manager)
        self.state_dir = os.path.abspath(CONF.guest_state_dir)

    # Paths and settings ------------------------------------------------
    @property
    def mount_point(self):
        return os.path.abspath(self.conf.mount_point)

    @property
    def data_dir(self):
        return os.path.join(self.mount_point, 'data')

    @property
    def config_dir(self):
        return os.path.join(self.state_dir, 'etc')

    @property
    def overrides_dir(self):
        return os.path.join(self.config_dir, 'conf.d')

    @property
    def runtime_dir(self):
        return os.path.join(self.state_dir, self.runtime_name)

    @property
    def pid_path(self):
        return os.path.join(self.state_dir, self.pid_name)

    @property
    def log_path(self):
        return os.path.join(CONF.log_dir or self.state_dir, self.log_name)

    @property
    def admin_password_path(self):
        return os.path.join(self.state_dir, ADMIN_PASSWORD_FILE)

    @property
    def bind_host(self):
        return CONF.engine_bind_host

    @property
    def port(self):
        return int(self.conf.tcp_ports[0])

    @functools.cached_property
    def user(self):
        """OS user running the engine; None means the agent's own user."""
        return operating_system.engine_user(self.manager)

    def admin_password(self):
        password = operating_system.read_file(self.admin_password_path)
        return password.strip() if password else None

    def store_admin_password(self, password):
        # Only the agent reads it; the engine never needs it.
        operating_system.write_file(self.admin_password_path,
                                    password + '\n', mode=0o600)

    # What each engine provides -------------------------------------------
    @abc.abstractmethod
    def check_installed(self):
        """Raise EngineError naming what is missing on this host."""

    @abc.abstractmethod
    def is_initialized(self):
        """Whether the data directory already holds a database."""

    @abc.abstractmethod
    def initialize(self):
        """Create the data directory's database (first prepare only)."""

    @abc.abstractmethod
    def write_base_config(self, contents):
        """Install ``contents`` (the rendered template) as the base
        configuration, with the agent's own include files around it."""

    @abc.abstractmethod
    def write_overrides(self, overrides):
        """Install user overrides (a configuration group) as a file."""

    @functools.cached_property
    def tls(self):
        """The engine's TLS material and mode (datastore.tls)."""
        return tls.TlsFiles(self)

    def write_tls_config(self):
        """Render the TLS settings of ``self.tls.mode()`` (read at the
        engine's next start); engines without TLS support keep none."""
        if self.tls.mode():
            raise errors.NotSupported('%s has no TLS support in this guest '
                                      'agent.' % self.display_name)

    def apply_tls_to_accounts(self):
        """Make the accounts follow the TLS mode (the engine runs);
        engines whose configuration says it all do nothing."""

    @abc.abstractmethod
    def server_command(self):
        """The command line of the engine server."""

    @abc.abstractmethod
    def query_ok(self):
        """Whether a real query (SELECT 1) succeeds right now."""

    @abc.abstractmethod
    def secure(self):
        """Create os_admin and lock everything else down (prepare)."""

    @abc.abstractmethod
    def admin(self):
        """The SQL administration object, connected as os_admin."""

    def guest_logs(self):
        """The engine's logs (trove.guestagent.guest_log.LogSpec)."""
        return []

    # What backups record and restore drills check (table_checks) ------
    def table_stats(self):
        """The engine's table_stats module (row counts, data size, the
        user's check query), or None when it has none."""
        return None

    def data_size(self):
        """Bytes a full backup of the engine streams, estimated before it
        starts (what its percent is measured against), or None."""
        return None

    @abc.abstractmethod
    def error_lines(self, text):
        """The lines of engine output that say why it failed."""

    # Files ------------------------------------------------------------------
    def prepare_volume(self):
        """Check the mount point and create the data dir for the engine."""
        if not os.path.isdir(self.mount_point):
            raise errors.EngineError(
                'The data volume is not available at %s.' % self.mount_point)
        operating_system.allow_traverse(self.mount_point)
        operating_system.ensure_dir(self.data_dir, 0o750, self.user)

    def prepare_runtime(self):
        """Directories the engine writes at run time (socket, pid)."""
        operating_system.ensure_dir(self.state_dir, 0o755)
        operating_system.ensure_dir(self.runtime_dir, 0o755, self.user)
        operating_system.ensure_dir(os.path.dirname(self.log_path), 0o755)

    def ensure_config_dirs(self):
        operating_system.ensure_dir(self.config_dir, 0o755)
        operating_system.ensure_dir(self.overrides_dir, 0o755)

    # Process ----------------------------------------------------------------
    def pid(self):
        return daemon.read_pid(self.pid_path)

    def is_alive(self):
        return daemon.pid_alive(self.pid())

    def start(self):
        """Start the engine detached and wait until it is healthy."""
        if self.is_alive():
            LOG.info('%s already runs (pid %s)', self.display_name,
                     self.pid())
            return self.wait_until_healthy()
        self.prepare_runtime()
        log_offset = self._log_size()
        LOG.info('Starting %s: %s', self.display_name,
                 ' '.join(self.server_command()))
        try:
            daemon.start_child(self.server_command(), self.pid_path,
                               self.log_path, user=self.user,
                               cwd=self.data_dir)
        except (RuntimeError, OSError) as error:
            raise errors.EngineError('%s could not be started: %s'
                                     % (self.display_name, error)) from error
        self.wait_until_healthy(log_offset)

    def wait_until_healthy(self, log_offset=None):
        """Return once ``state_healthy_counts`` checks in a row found the
        engine answering; raise EngineError if it dies or the deadline
        (``state_change_wait_time``) passes."""
        deadline = time.monotonic() + CONF.state_change_wait_time
        good = 0
        while True:
            if not self.is_alive():
                raise self.start_failure(log_offset, 'failed to start')
            if self.query_ok():
                good += 1
                if good >= CONF.state_healthy_counts:
                    LOG.info('%s is healthy', self.display_name)
                    return
            else:
                good = 0
            if time.monotonic() >= deadline:
                raise self.start_failure(
                    log_offset, 'did not become healthy within %ss'
                    % CONF.state_change_wait_time)
            time.sleep(CONF.state_change_poll_time if good
                       else FIRST_ANSWER_POLL)

    def stop(self):
        """Shut the engine down cleanly; kill it past the deadline."""
        pid = self.pid()
        if not daemon.pid_alive(pid):
            operating_system.remove(self.pid_path)
            return
        LOG.info('Stopping %s (pid %d)', self.display_name, pid)
        self._signal(pid, self.stop_signal)
        deadline = time.monotonic() + CONF.state_change_wait_time
        while daemon.pid_alive(pid):
            if time.monotonic() >= deadline:
                LOG.error('%s did not stop within %ss; killing it',
                          self.display_name, CONF.state_change_wait_time)
                self._signal(pid, signal.SIGKILL)
                daemon.terminate(pid, timeout=5)
                break
            time.sleep(0.1)
        operating_system.remove(self.pid_path)

    @staticmethod
    def _signal(pid, signum):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    # Engine output ----------------------------------------------------------
    def _log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def read_log(self, offset=None):
        """What the engine wrote since ``offset`` (or its whole log)."""
        try:
            with open(self.log_path, 'rb') as log:
                log.seek(offset or 0)
                return log.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def start_failure(self, log_offset, what):
        text = self.read_log(log_offset)
        tail = '\n'.join(text.splitlines()[-LOG_TAIL_LINES:])
        return self.failure('%s %s' % (self.display_name, what),
                            self.error_lines(text), tail)

    def failure(self, summary, lines, details):
        """An EngineError whose message is ``summary`` plus the reasons."""
        lines = [self.shorten_paths(line) for line in lines if line]
        message = summary + (': ' + '; '.join(lines[:3]) if lines else '.')
        return errors.EngineError(message, details)

    def shorten_paths(self, line):
        # The agent's own directories mean nothing to a user.
        for directory in (self.config_dir, self.runtime_dir, self.data_dir):
            line = line.replace(directory + os.sep, '')
        return line.strip()
