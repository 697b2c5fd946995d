"""Files, OS users and commands on the guest host, for the engine managers.

When the agent runs as root its engine runs as an unprivileged OS user
(``[<manager>] database_service_uname``): files the engine must read or
write are handed over to that user here. Every command has a deadline
(``command_process_timeout`` unless the caller gives one).
"""

import os
import pwd
import secrets
import string
import subprocess

from oslo_log import log as logging

from trove.conf import CONF
from trove.guestagent import errors
from trove.guestagent.errors import CommandError

LOG = logging.getLogger(__name__)

PASSWORD_ALPHABET = string.ascii_letters + string.digits


def running_as_root():
    return os.geteuid() == 0


def current_user():
    return pwd.getpwuid(os.geteuid()).pw_name


def engine_user(manager):
    """The OS user the engine of ``manager`` runs as (None: this user)."""
    if not running_as_root():
        return None
    name = CONF.get(manager).database_service_uname
    try:
        pwd.getpwnam(name)
    except KeyError:
        raise errors.EngineError(
            'The OS user %r that should run the database engine does not '
            'exist: create it or set [%s] database_service_uname.'
            % (name, manager)) from None
    return name


def chown(path, user, recursive=False):
    """Give ``path`` to ``user`` (no-op when ``user`` is None)."""
    if user is None:
        return
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    if recursive and os.path.isdir(path):
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                os.lchown(os.path.join(root, name), entry.pw_uid,
                          entry.pw_gid)


def ensure_dir(path, mode=0o755, owner=None):
    """Create ``path`` (and parents) with ``mode``, owned by ``owner``."""
    os.makedirs(path, exist_ok=True)
    os.chmod(path, mode)
    chown(path, owner)
    return path


def allow_traverse(path):
    """Let other users (the engine's) pass through ``path``: o+x."""
    mode = os.stat(path).st_mode & 0o7777
    if not mode & 0o001:
        os.chmod(path, mode | 0o011)


def write_file(path, contents, mode=0o644, owner=None):
    """Replace ``path`` atomically so an engine never reads half a file."""
    tmp_path = '%s.tmp%d' % (path, os.getpid())
    fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, 'w') as handle:
            handle.write(contents)
        os.chmod(tmp_path, mode)
        chown(tmp_path, owner)
        os.rename(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
        raise


def read_file(path, default=None):
    try:
        with open(path) as handle:
            return handle.read()
    except FileNotFoundError:
        return default


def remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _text(output):
    if isinstance(output, bytes):
        return output.decode('utf-8', 'replace')
    return output or ''


def run(args, user=None, timeout=None, input=None, env=None, cwd=None):
    """Run ``args`` (as ``user`` if given); returns its output or raises
    CommandError with the output when it fails or overruns."""
    timeout = timeout or CONF.command_process_timeout
    kwargs = {}
    if user is not None and user != current_user():
        kwargs.update(user=user, group=pwd.getpwnam(user).pw_gid,
                      extra_groups=[])
    LOG.debug('Running %s', ' '.join(str(a) for a in args))
    try:
        result = subprocess.run(
            [str(a) for a in args], input=input, capture_output=True,
            text=True, timeout=timeout, env=env, cwd=cwd or '/', **kwargs)
    except subprocess.TimeoutExpired as error:
        output = ''.join(_text(part) for part in (error.stdout, error.stderr))
        raise CommandError(args, 'did not finish within %ss' % timeout,
                           output) from error
    except OSError as error:
        raise CommandError(args, 'could not be run: %s' % error) from error
    output = (result.stdout or '') + (result.stderr or '')
    if result.returncode != 0:
        raise CommandError(args, 'failed with exit code %d'
                           % result.returncode, output)
    return output


def generate_password(length=None):
    length = length or 36
    return ''.join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def memory_total_kb():
    """MemTotal of /proc/meminfo, in kB."""
    for line in (read_file('/proc/meminfo', '') or '').splitlines():
        if line.startswith('MemTotal:'):
            return int(line.split()[1])
    return 0


def process_diagnostics(pid='self'):
    """Memory and thread figures of a process, from /proc/<pid>/status."""
    wanted = {'FDSize': 'fd_size', 'VmSize': 'vm_size', 'VmPeak': 'vm_peak',
              'VmRSS': 'vm_rss', 'VmHWM': 'vm_hwm', 'Threads': 'threads'}
    values = dict.fromkeys(wanted.values(), 0)
    status = read_file('/proc/%s/status' % pid, '') or ''
    for line in status.splitlines():
        key, _sep, value = line.partition(':')
        if key in wanted and value.split():
            values[wanted[key]] = int(value.split()[0])
    return values
