"""Shell-like pipelines of backup tools, with a deadline.

``ProcessChain`` connects commands stdout to stdin (``mariadb-backup |
gzip``, ``gzip -d | mbstream -x``) without a shell. Python either reads
the last command's output (a backup going to storage) or feeds the first
command's input (a restore coming from storage); data never lands in a
temporary file. Each command's stderr goes to a log file of its own,
whose tail becomes the failure message. A watchdog kills every process
of the chain when the deadline passes, so a stuck tool never blocks the
agent.
"""

import dataclasses
import os
import signal
import subprocess
import threading

from oslo_log import log as logging

from trove.guestagent import errors

LOG = logging.getLogger(__name__)

TAIL_BYTES = 16384
MESSAGE_LINES = 3
SIGPIPE = signal.SIGPIPE


@dataclasses.dataclass
class Command:
    args: list
    env: dict | None = None
    # What the failure message calls it (default: the program's name).
    name: str | None = None
    # Text to keep out of logs (passwords on the command line).
    secret: str | None = None

    @property
    def display_name(self):
        return self.name or os.path.basename(str(self.args[0]))

    def printable(self):
        text = ' '.join(str(a) for a in self.args)
        return text.replace(self.secret, '***') if self.secret else text


class PipelineError(errors.GuestAgentError):
    """A command of a chain failed or the chain overran its deadline."""


def tail(path, limit=TAIL_BYTES):
    try:
        with open(path, 'rb') as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(log.tell() - limit, 0))
            return log.read().decode('utf-8', 'replace')
    except OSError:
        return ''


class ProcessChain:
    """``commands`` run as one pipeline; ``feed`` gives the first one a
    pipe Python writes to, ``read`` gives the last one a pipe Python
    reads from (else its output goes to its log)."""

    def __init__(self, commands, log_dir, timeout, feed=False, read=True):
        self.commands = list(commands)
        self.log_dir = log_dir
        self.timeout = timeout
        self.feed = feed
        self.read = read
        self.processes = []
        self.log_paths = []
        self.timed_out = False
        self._watchdog = None

    # Lifecycle -------------------------------------------------------------
    def start(self):
        os.makedirs(self.log_dir, mode=0o700, exist_ok=True)
        previous = subprocess.PIPE if self.feed else subprocess.DEVNULL
        try:
            for index, command in enumerate(self.commands):
                last = index == len(self.commands) - 1
                log_path = os.path.join(self.log_dir, '%d-%s.log' % (
                    index, command.display_name))
                self.log_paths.append(log_path)
                with open(log_path, 'wb') as log:
                    if last:
                        stdout = subprocess.PIPE if self.read else log
                    else:
                        stdout = subprocess.PIPE
                    LOG.debug('Starting %s', command.printable())
                    env = None
                    if command.env:
                        env = dict(os.environ, **command.env)
                    process = subprocess.Popen(
                        [str(a) for a in command.args], stdin=previous,
                        stdout=stdout, stderr=log, env=env, cwd='/',
                        start_new_session=True)
                if index > 0 and self.processes[-1].stdout is not None:
                    # Only the next command holds the pipe now: if it dies,
                    # the writer gets SIGPIPE instead of blocking.
                    self.processes[-1].stdout.close()
                self.processes.append(process)
                previous = process.stdout
        except OSError as error:
            self.kill()
            raise PipelineError('%s could not be started: %s' % (
                self.commands[len(self.processes)].display_name, error)) \
                from error
        self._watchdog = threading.Timer(self.timeout, self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()
        return self

    @property
    def stdin(self):
        return self.processes[0].stdin

    @property
    def stdout(self):
        return self.processes[-1].stdout

    def _expire(self):
        LOG.error('%s did not finish within %ss; stopping it',
                  self.describe(), self.timeout)
        self.timed_out = True
        self.kill()

    def kill(self):
        for process in self.processes:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    def describe(self):
        return ' | '.join(c.display_name for c in self.commands)

    def close_input(self):
        if self.feed and self.stdin and not self.stdin.closed:
            try:
                self.stdin.close()
            except BrokenPipeError:
                pass

    def wait(self):
        """Wait for every command; PipelineError naming the first that
        failed (with its stderr tail) or the deadline."""
        self.close_input()
        try:
            for process in self.processes:
                process.wait()
        finally:
            if self._watchdog is not None:
                self._watchdog.cancel()
            if self.read and self.stdout and not self.stdout.closed:
                self.stdout.close()
        if self.timed_out:
            raise PipelineError('%s did not finish within %s seconds.'
                                % (self.describe(), self.timeout),
                                self.details())
        failed = [index for index, process in enumerate(self.processes)
                  if process.returncode != 0]
        if failed:
            # A command dying makes its writer die of SIGPIPE: the first
            # command that failed for another reason is the culprit.
            culprits = [index for index in failed
                        if self.processes[index].returncode not in
                        (-SIGPIPE, 128 + SIGPIPE)]
            raise self.failure((culprits or failed)[0])

    def abort(self):
        """Stop everything after a failure elsewhere (storage, Python)."""
        self.kill()
        try:
            self.close_input()
            for process in self.processes:
                process.wait(timeout=30)
        except Exception:
            LOG.exception('Could not reap %s', self.describe())
        finally:
            if self._watchdog is not None:
                self._watchdog.cancel()
            if self.read and self.stdout and not self.stdout.closed:
                self.stdout.close()

    # Failures ----------------------------------------------------------------
    def stderr_of(self, index):
        return tail(self.log_paths[index])

    def details(self):
        parts = []
        for index, command in enumerate(self.commands):
            text = self.stderr_of(index).strip()
            if command.secret:
                text = text.replace(command.secret, '***')
            parts.append('$ %s\n%s' % (command.printable(), text))
        return '\n\n'.join(parts)

    def failure(self, index):
        command = self.commands[index]
        code = self.processes[index].returncode
        lines = [line.strip() for line in self.stderr_of(index).splitlines()
                 if line.strip()]
        if command.secret:
            lines = [line.replace(command.secret, '***') for line in lines]
        reason = ('; '.join(lines[-MESSAGE_LINES:]) if lines
                  else 'no output')
        how = ('was killed by signal %d' % -code if code < 0
               else 'exited with status %d' % code)
        return PipelineError('%s %s: %s' % (command.display_name, how,
                                            reason), self.details())
