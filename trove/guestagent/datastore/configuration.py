"""Configuration overrides of the guest's engine: the include file, live
application, and the last configuration the engine started with.

The control plane sends a configuration group as ``{name: value}``
(``update_overrides`` then ``apply_overrides``). This module keeps, in the
engine's ``config_dir``:

* ``conf.d/overrides.cnf`` (MySQL family) or ``conf.d/overrides.conf``
  (PostgreSQL): the include file the engine reads, rendered from
* ``overrides.json``: the overrides as sent;
* ``overrides.started.json``: the overrides the engine last started with
  successfully -- the last good configuration.

``apply`` hands the live part to the engine's applier (SET GLOBAL, or a
reload), which answers which parameters need a restart and which values
the engine refused; on a refusal the previous overrides are put back, so
a rejected change never stays in the file.

``start_engine`` is how the agent starts its engine (prepare, restart):
if the engine does not come up with overrides it never started with,
the last good overrides are restored, the engine is started again and
the failure -- naming the parameters -- is reported as the instance's
fault. The same happens when the engine starts but its health probe
fails ``configuration_probe_failures`` times in a row (or the engine
dies) within ``configuration_probe_deadline`` seconds of that start. A
value that keeps the engine from starting or from answering therefore
never bricks an instance.

Never imports the control plane (trove.db, trove.instance...).
"""

import json
import os
import re
import time

from oslo_log import log as logging

from trove.conf import CONF
from trove.guestagent import errors
from trove.guestagent import operating_system

LOG = logging.getLogger(__name__)

CURRENT_FILE = 'overrides.json'
STARTED_FILE = 'overrides.started.json'
FAULT_EVENT = 'configuration'
_NAME = re.compile(r'^[A-Za-z0-9_.\-]{1,128}$')
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')


def check_overrides(overrides):
    """Refuse names and values that do not belong in a config file."""
    if not isinstance(overrides, dict):
        raise errors.GuestAgentError('Overrides must be a mapping, got %s.'
                                     % type(overrides).__name__)
    for name, value in overrides.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise errors.GuestAgentError('Invalid parameter name %r.'
                                         % (name,))
        if not isinstance(value, (bool, int, float, str)):
            raise errors.GuestAgentError('Invalid value of %s: %r.'
                                         % (name, value))
        if isinstance(value, str) and _CONTROL.search(value):
            raise errors.GuestAgentError(
                'The value of %s contains control characters.' % name)


def live_applier(engine):
    """The engine-specific applier (format of the file, live changes)."""
    if engine.manager in ('mariadb', 'mysql'):
        from trove.guestagent.datastore.mysql_common import configuration
        return configuration.MySqlLiveConfig(engine)
    if engine.manager == 'postgresql':
        from trove.guestagent.datastore.postgresql import configuration
        return configuration.PgLiveConfig(engine)
    raise errors.NotSupported('Configuration groups are not supported by '
                              'the %s guest agent.' % engine.manager)


class Overrides:
    """The overrides of one engine; ``report_fault(message, details)``
    sends a fault to the control plane."""

    def __init__(self, engine, report_fault=None):
        self.engine = engine
        self.report_fault = report_fault
        self._live = None
        self._previous = None

    @property
    def live(self):
        if self._live is None:
            self._live = live_applier(self.engine)
        return self._live

    # State --------------------------------------------------------------
    def _path(self, name):
        return os.path.join(self.engine.config_dir, name)

    def _read(self, name):
        text = operating_system.read_file(self._path(name))
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError:
            LOG.warning('Ignoring unreadable %s', self._path(name))
            return None

    def current(self):
        """The overrides in the include file now."""
        return self._read(CURRENT_FILE) or {}

    def started(self):
        """The overrides the engine last started with ({} if unknown)."""
        return self._read(STARTED_FILE) or {}

    def write(self, overrides):
        """Render ``overrides`` into the include file (none: no file)."""
        check_overrides(overrides)
        self.engine.ensure_config_dirs()
        if overrides:
            operating_system.write_file(self.engine.overrides_path,
                                        self.live.render(overrides))
        else:
            operating_system.remove(self.engine.overrides_path)
        operating_system.write_file(self._path(CURRENT_FILE),
                                    json.dumps(overrides, sort_keys=True))

    def mark_started(self):
        """The engine is up with the current overrides: they are good."""
        operating_system.write_file(self._path(STARTED_FILE),
                                    json.dumps(self.current(),
                                               sort_keys=True))

    # RPC ------------------------------------------------------------------
    def update(self, overrides, remove=False):
        """``update_overrides``: replace the include file's contents."""
        overrides = {} if remove else dict(overrides or {})
        check_overrides(overrides)
        self._previous = self.current()
        self.write(overrides)
        LOG.info('Overrides written: %s', ', '.join(sorted(overrides))
                 or 'none')

    def apply(self, overrides):
        """``apply_overrides``: make the include file's values live where
        the engine can; returns ``{"restart_required": [names],
        "rejected": {name: reason}}``."""
        overrides = dict(overrides or {})
        check_overrides(overrides)
        previous = self._previous if self._previous is not None \
            else self.started()
        self._previous = None
        dropped = sorted(set(previous) - set(overrides))

        def restore():
            LOG.warning('Restoring the previous overrides')
            self.write(previous)

        result = self.live.apply(overrides, dropped, self.started(),
                                 restore)
        LOG.info('Overrides applied; restart needed for: %s; refused: %s',
                 ', '.join(result['restart_required']) or 'nothing',
                 ', '.join(sorted(result['rejected'])) or 'nothing')
        return result

    # Starting --------------------------------------------------------------
    def start_engine(self):
        """Start the engine; on failure with never-started overrides --
        or a health probe failing within ``configuration_probe_deadline``
        after the start -- restore the last good ones, start again and
        report the fault."""
        try:
            self.engine.start()
        except errors.EngineError as error:
            current, good = self.current(), self.started()
            if current == good:
                raise
            self._recover(error, current, good)
        else:
            current, good = self.current(), self.started()
            if current != good:
                failure = self.watch_health()
                if failure is not None:
                    self._recover(failure, current, good, started=True)
        self.mark_started()

    def watch_health(self, clock=time.monotonic, sleep=time.sleep):
        """After a start with new overrides: None if the health probe
        keeps passing for ``configuration_probe_deadline`` seconds, else
        the EngineError saying how it failed (``configuration_probe_
        failures`` probes in a row, or the engine died)."""
        deadline = clock() + CONF.configuration_probe_deadline
        failed = 0
        while clock() < deadline:
            if not self.engine.is_alive():
                return errors.EngineError(
                    '%s stopped within %d seconds of its start.'
                    % (self.engine.display_name,
                       CONF.configuration_probe_deadline))
            failed = 0 if self.engine.query_ok() else failed + 1
            if failed >= CONF.configuration_probe_failures:
                return errors.EngineError(
                    'Its health probe failed %d times in a row within %d '
                    'seconds of its start.' % (
                        failed, CONF.configuration_probe_deadline))
            sleep(CONF.configuration_probe_interval)
        return None

    def _recover(self, error, current, good, started=False):
        changed = sorted(name for name in set(current) | set(good)
                         if current.get(name) != good.get(name))
        described = ', '.join('%s=%s' % (name, current.get(name, '(default)'))
                              for name in changed)
        what = ('failed its health probe after starting' if started
                else 'did not start')
        LOG.error('%s %s with changed parameters %s; restoring the last '
                  'good configuration', self.engine.display_name, what,
                  described)
        self.engine.stop()
        self.write(good)
        self.engine.start()
        message = ('%s %s with configuration parameters %s and runs with '
                   'its last working configuration again. %s'
                   % (self.engine.display_name, what, described,
                      error.message))
        if self.report_fault is not None:
            self.report_fault(message, error.details)


def conductor_fault_reporter(status):
    """A ``report_fault`` sending the instance fault through the
    conductor of ``status`` (a guestagent.status.StatusReporter)."""
    def report(message, details=''):
        try:
            status.conductor.notify_exc_info(
                status.instance_id, event_type=FAULT_EVENT, message=message,
                details=details)
        except Exception:
            LOG.exception('Could not report the fault: %s', message)
    return report
