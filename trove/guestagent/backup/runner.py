"""Taking one backup in the guest, and reporting it to the conductor.

``create_backup`` reports BUILDING (with the volume's used size, as
upstream does), streams the strategy's tool through gzip into the
storage, and reports COMPLETED with the location, the checksum and the
size — or FAILED with the reason appended to the description. Whatever
goes wrong (the tool, the storage, the deadline), the backup ends in one
of those two states unless the agent itself dies, which the taskmanager's
periodic check notices.
"""

import json
import os
import shutil
import threading
import time

from oslo_log import log as logging

from trove import storage as backup_storage
from trove.common import backup_failure as failure
from trove.common import failures, states
from trove.conductor import api as conductor_api
from trove.conf import CONF
from trove.guestagent.backup import pipeline
from trove.guestagent.backup import strategy as backup_strategy
from trove.guestagent.datastore import table_checks

LOG = logging.getLogger(__name__)

BackupState = states.BackupState
# One backup at a time per agent: the API refuses a second one while a
# backup runs, this guards against a replayed message.
_running = threading.Lock()


def describe(error):
    if isinstance(error, failures.ReportedFailure):
        return error.message, error.details
    text = str(error).strip()
    return ('%s: %s' % (type(error).__name__, text) if text
            else type(error).__name__), ''


def storage_for(context, backup_info):
    driver = backup_info.get('storage_driver') or \
        backup_storage.driver_of(backup_info.get('location'))
    return backup_storage.get_storage(
        driver, swift_url=backup_info.get('swift_url'),
        token=getattr(context, 'auth_token', None))


WORK_DIR = 'backup-work'
INFO_FILE = 'backup.json'


def work_dir_for(backup_id):
    return os.path.join(CONF.guest_state_dir, WORK_DIR, backup_id)


def fail_interrupted(context):
    """Backups this agent was taking when it stopped (their work
    directories are still there) are reported FAILED; called when the
    agent starts, so a restarted agent never leaves one BUILDING."""
    root = os.path.join(CONF.guest_state_dir, WORK_DIR)
    if not os.path.isdir(root):
        return []
    failed = []
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        info = None
        try:
            with open(os.path.join(path, INFO_FILE)) as stored:
                info = json.load(stored)
        except (OSError, ValueError):
            pass
        if info and info.get('id'):
            Reporter(context, info).update(
                state=BackupState.FAILED,
                description=failure.failed_description(
                    info.get('description'),
                    'the guest agent stopped while it ran'))
            failed.append(info['id'])
            LOG.warning('Backup %s was interrupted by an agent restart',
                        info['id'])
        shutil.rmtree(path, ignore_errors=True)
    return failed


class Reporter:
    """update_backup casts for one backup. One the broker cannot route
    (no conductor queue after a broker restart) is sent again: a state
    until conductor_unroutable_resend_timeout, a progress report only
    until the next is due. A cast that still fails is only logged (the
    taskmanager's deadline catches a backup that never ends)."""

    def __init__(self, context, backup_info):
        self.conductor = conductor_api.API(context)
        self.backup_id = backup_info['id']
        self.instance_id = backup_info.get('instance_id') or CONF.guest_id

    def update(self, **fields):
        resend_for = (None if 'state' in fields
                      else CONF.backup_progress_interval)
        try:
            self.conductor.update_backup(self.instance_id, self.backup_id,
                                         resend_for=resend_for, **fields)
        except Exception:
            LOG.exception('Could not report backup %s as %s',
                          self.backup_id, fields.get('state'))


def bytes_read_by(pid):
    """Bytes process ``pid`` has read (``rchar`` of /proc/<pid>/io), or
    None where that cannot be read."""
    try:
        with open('/proc/%d/io' % pid) as stats:
            for line in stats:
                if line.startswith('rchar:'):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def progress_fields(written, elapsed, done=None, total=None):
    """The ``progress`` JSON of a backup or a restore: bytes written and
    seconds so far; with the ``total`` the work is measured against and
    how much of it is ``done``, its percent (at most 99 until it ends)
    and the seconds left at the rate so far."""
    fields = {'bytes_written': written, 'elapsed_s': round(elapsed, 1)}
    if total and done is not None:
        percent = min(99, int(done * 100 // total))
        fields.update(total_bytes=total, percent=percent)
        if done > 0:
            fields['eta_s'] = max(0, round(elapsed * (total - done) / done))
    return fields


class ProgressReader:
    """The backup stream as the storage reads it, counting the bytes and
    reporting them (``progress``: bytes written, seconds since the start)
    every ``interval`` seconds, so the backup's view shows it moving.

    With ``total`` (the engine's data size) and ``done`` (how many bytes
    of the uncompressed stream the compressor has read so far) it adds
    the percent and the ETA."""

    def __init__(self, stream, report, interval=2.0, clock=time.monotonic,
                 total=None, done=None):
        self.stream = stream
        self.report = report
        self.interval = interval
        self.clock = clock
        self.started = self.last = clock()
        self.bytes = 0
        self.total = total
        self.done = done

    def read(self, size=-1):
        chunk = self.stream.read(size)
        self.bytes += len(chunk)
        now = self.clock()
        if chunk and now - self.last >= self.interval:
            self.last = now
            done = self.done() if self.done is not None else None
            self.report(progress=json.dumps(progress_fields(
                self.bytes, now - self.started, done, self.total)))
        return chunk


class BackupStream:
    """The strategy's tool piped through gzip; ``stdout`` is the backup."""

    def __init__(self, strategy, parent_metadata, base_metadata):
        self.strategy = strategy
        self.parent_metadata = parent_metadata
        self.base_metadata = base_metadata
        command = strategy.backup_command(parent_metadata)
        self.chain = pipeline.ProcessChain(
            [command, backup_strategy.compressor()], strategy.log_dir,
            CONF.backup_timeout).start()

    @property
    def stdout(self):
        return self.chain.stdout

    def finish(self):
        """Called by the storage once the stream ended: the tools must
        have succeeded; returns the object's metadata."""
        self.chain.wait()
        metadata = dict(self.base_metadata)
        metadata.update(self.strategy.backup_metadata(self.chain,
                                                      self.parent_metadata))
        return metadata

    def abort(self):
        self.chain.abort()

    def raw_bytes(self):
        """Bytes of the tool's output compressed so far (what gzip read)."""
        return bytes_read_by(self.chain.processes[-1].pid)


def volume_used_gb(manager):
    try:
        return manager.volume.stats(manager.engine.mount_point)['used']
    except Exception as error:
        LOG.warning('Volume usage unknown: %s', error)
        return 0.0


def check_volume_room(manager):
    """A full data volume fails the backup at once, saying so: the engine
    cannot write its logs, so no consistent copy can be taken."""
    full_message = getattr(manager.volume, 'full_message', None)
    message = full_message(manager.engine.mount_point) if full_message \
        else None
    if message:
        raise failures.ReportedFailure(message)


def data_size(manager):
    """What a full backup's percent is measured against, or None."""
    try:
        return manager.engine.data_size() or None
    except Exception as error:
        LOG.warning('The data size is unknown: %s', error)
        return None


def create_backup(manager, strategy_class, context, backup_info):
    backup_id = backup_info['id']
    reporter = Reporter(context, backup_info)
    if not _running.acquire(blocking=False):
        reporter.update(state=BackupState.FAILED,
                        description=failure.failed_description(
                            backup_info.get('description'),
                            'another backup of this instance is running'))
        return
    work_dir = work_dir_for(backup_id)
    stream = None
    parent = backup_info.get('parent')
    backup_type = 'incremental' if parent else 'full'
    try:
        # The marker of a running backup (see fail_interrupted).
        os.makedirs(work_dir, mode=0o700, exist_ok=True)
        with open(os.path.join(work_dir, INFO_FILE), 'w') as stored:
            json.dump({key: backup_info.get(key) for key in
                       ('id', 'instance_id', 'description')}, stored)
        check_volume_room(manager)
        size = volume_used_gb(manager)
        reporter.update(state=BackupState.BUILDING, size=size,
                        backup_type=backup_type)
        LOG.info('Backup %s (%s) of %s started', backup_id, backup_type,
                 manager.manager_name)
        strategy = strategy_class(manager.engine, work_dir)
        strategy.label = backup_id
        storage = storage_for(context, backup_info)
        metadata = {'datastore': backup_info.get('datastore'),
                    'datastore_version': backup_info.get(
                        'datastore_version'),
                    'backup_id': backup_id}
        parent_metadata = None
        if parent:
            parent_metadata = storage.metadata(parent['location'])
            metadata.update(parent_location=parent['location'],
                            parent_checksum=parent.get('checksum'))
        # An incremental streams only what changed: no total to measure
        # it against.
        total = None if parent else data_size(manager)
        counts_before = table_checks.begin(manager.engine)
        started = time.monotonic()
        stream = BackupStream(strategy, parent_metadata, metadata)
        container = (backup_info.get('swift_container')
                     or CONF.backup_swift_container)
        saved = storage.save(container, backup_id + strategy.extension,
                             ProgressReader(
                                 stream.stdout, reporter.update,
                                 interval=CONF.backup_progress_interval,
                                 total=total,
                                 done=stream.raw_bytes if total else None),
                             stream.finish)
        final = {'bytes_written': saved.size,
                 'elapsed_s': round(time.monotonic() - started, 1)}
        if total:
            final.update(total_bytes=total, percent=100, eta_s=0)
        reporter.update(state=BackupState.COMPLETED, size=size,
                        backup_type=backup_type, checksum=saved.checksum,
                        location=saved.location,
                        progress=json.dumps(final),
                        row_counts=table_checks.record(manager.engine,
                                                       counts_before))
        LOG.info('Backup %s completed: %s (%d bytes)', backup_id,
                 saved.location, saved.size)
    except Exception as error:
        if stream is not None:
            stream.abort()
        message, details = describe(error)
        LOG.error('Backup %s failed: %s\n%s', backup_id, message, details)
        reporter.update(state=BackupState.FAILED,
                        description=failure.failed_description(
                            backup_info.get('description'), message))
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
        _running.release()
