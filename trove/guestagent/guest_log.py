"""Guest logs: which engine logs exist, their state, and publishing them.

Each engine declares its logs (``Engine.guest_logs()``, ``LogSpec``): the
file, whether a user turns it on (``USER``) or it is always on (``SYS``),
and how to switch it. This module keeps what was published of each log
in ``<guest_state_dir>/guest_logs.json`` and reports upstream's fields:
status (``Disabled, Enabled, Unavailable, Ready, Published, Partial,
Rotated``), published and pending bytes, container, prefix and metafile.
Publishing copies what is new in the file into the log store in segments
of at most ``guest_log_limit`` bytes. The agent never touches the control
database: the API asks, the answer is the reply.
"""

import dataclasses
import datetime
import json
import os
import threading

from oslo_log import log as logging

from trove.common import exception
from trove.conf import CONF
from trove.guestagent import operating_system
from trove.storage import logs as log_storage

LOG = logging.getLogger(__name__)

USER, SYS = 'USER', 'SYS'
STATE_FILE = 'guest_logs.json'


@dataclasses.dataclass
class LogSpec:
    """One log of an engine. ``enable``/``disable`` switch a USER log on
    the running engine and for its next starts (None for SYS logs)."""

    name: str
    type: str
    path: str
    enable: object = None
    disable: object = None


class GuestLogs:
    """The logs of this agent's engine."""

    def __init__(self, engine, manager_name, state_dir=None,
                 instance_id=None, store_factory=None):
        self.engine = engine
        self.manager_name = manager_name
        self.state_path = os.path.join(state_dir or CONF.guest_state_dir,
                                       STATE_FILE)
        self.instance_id = instance_id or CONF.guest_id
        self.store_factory = store_factory or _store
        self._lock = threading.Lock()

    # State ------------------------------------------------------------------
    def _specs(self):
        return {spec.name: spec for spec in self.engine.guest_logs()}

    def _load(self):
        text = operating_system.read_file(self.state_path)
        try:
            return json.loads(text) if text else {}
        except ValueError:
            return {}

    def _save(self, state):
        operating_system.write_file(self.state_path, json.dumps(state),
                                    mode=0o600)

    def _prefix(self, name):
        return '%s/%s-%s/' % (self.instance_id, self.manager_name, name)

    def _metafile(self, name):
        return '%s/%s-%s_metafile' % (self.instance_id, self.manager_name,
                                      name)

    @staticmethod
    def _size(path):
        try:
            return os.path.getsize(path)
        except OSError:
            return None

    def _view(self, spec, entry):
        enabled = spec.type == SYS or entry.get('enabled', False)
        size = self._size(spec.path)
        published = entry.get('published', 0)
        if size is not None and size < published:
            # The file was truncated or replaced since the last publish.
            status, pending = 'Rotated', size
        elif not enabled:
            status, pending = 'Disabled', max((size or 0) - published, 0)
        elif size is None:
            status, pending = ('Enabled' if spec.type == USER
                               else 'Unavailable'), 0
        else:
            pending = size - published
            if published == 0:
                status = 'Ready' if pending else 'Enabled'
            else:
                status = 'Partial' if pending else 'Published'
        container = CONF.guest_log_container_name if published else 'None'
        return {'name': spec.name, 'type': spec.type, 'status': status,
                'published': str(published), 'pending': str(pending),
                'container': container,
                'prefix': self._prefix(spec.name) if published else 'None',
                'metafile': self._metafile(spec.name)}

    # RPC --------------------------------------------------------------------
    def list(self):
        state = self._load()
        return [self._view(spec, state.get(name, {}))
                for name, spec in sorted(self._specs().items())]

    def action(self, name, enable=False, disable=False, publish=False,
               discard=False, context=None):
        spec = self._specs().get(name)
        if spec is None:
            raise exception.GuestLogNotFound(
                name=name, known=', '.join(sorted(self._specs())))
        if enable and disable:
            raise exception.BadRequest('A log cannot be enabled and '
                                       'disabled at once.')
        with self._lock:
            state = self._load()
            entry = state.setdefault(name, {})
            if (enable or disable) and spec.type == SYS:
                raise exception.BadRequest(
                    'Log %s is a system log: it is always enabled.' % name)
            if enable:
                spec.enable()
                entry['enabled'] = True
            if disable:
                spec.disable()
                entry['enabled'] = False
            try:
                if discard:
                    self._discard(name, entry, context)
                if publish:
                    self._publish(spec, entry, context)
            except log_storage.base.StorageError as error:
                self._save(state)   # what was published so far
                raise exception.ServiceUnavailable(
                    reason='the log store failed: %s' % error) from error
            self._save(state)
            return self._view(spec, entry)

    def _discard(self, name, entry, context):
        store = self.store_factory(context)
        store.delete_prefix(self._prefix(name))
        store.delete(self._metafile(name))
        entry['published'] = 0
        entry['segments'] = 0
        LOG.info('Discarded the published %s log', name)

    def _publish(self, spec, entry, context):
        if spec.type == USER and not entry.get('enabled'):
            raise exception.BadRequest(
                'Log %s is not enabled: enable it before publishing.'
                % spec.name)
        size = self._size(spec.path)
        if size is None:
            raise exception.BadRequest('Log %s has nothing to publish yet.'
                                       % spec.name)
        published = entry.get('published', 0)
        if size < published:
            published = 0       # rotated: publish the new file whole
        store = self.store_factory(context)
        stamp = None
        with open(spec.path, 'rb') as source:
            source.seek(published)
            while published < size:
                data = source.read(min(CONF.guest_log_limit,
                                       size - published))
                if not data:
                    break
                stamp = _segment_time(stamp)
                name = self._prefix(spec.name) + 'log-' + stamp.strftime(
                    '%Y-%m-%dT%H:%M:%S.%f')
                store.put(name, data, {'lines': data.count(b'\n')})
                published += len(data)
                # Counted at once: a later failure keeps what was stored.
                entry['published'] = published
                entry['segments'] = entry.get('segments', 0) + 1
        entry['published'] = published
        store.put(self._metafile(spec.name), json.dumps({
            'name': spec.name, 'type': spec.type,
            'datastore': self.manager_name, 'instance_id': self.instance_id,
            'published': published, 'segments': entry['segments'],
        }).encode(), {})
        LOG.info('Published the %s log up to byte %d', spec.name, published)


def _store(context=None):
    try:
        return log_storage.get_log_store(context)
    except log_storage.base.StorageError as error:
        raise exception.LogsNotAvailable(reason=str(error)) from error


def _segment_time(previous):
    """Now, but later than the previous segment's time: segment names sort
    in the order of the log even when written within a microsecond."""
    now = datetime.datetime.now(datetime.timezone.utc)
    if previous is not None and now <= previous:
        now = previous + datetime.timedelta(microseconds=1)
    return now
