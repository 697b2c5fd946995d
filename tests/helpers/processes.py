"""Processes a test starts: each is stopped by its pid afterwards."""

import os
import signal
import subprocess
import time


class ManagedProcess:
    """A child process with its output in a log file."""

    def __init__(self, args, log_path, env=None, cwd=None):
        self.args = args
        self.log_path = log_path
        self._log = open(log_path, 'ab')
        self.process = subprocess.Popen(
            args, stdout=self._log, stderr=subprocess.STDOUT, env=env,
            cwd=cwd, start_new_session=True)

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process.poll() is None

    def log_tail(self, lines=40):
        with open(self.log_path, 'rb') as log:
            return b'\n'.join(log.read().splitlines()[-lines:]).decode(
                'utf-8', 'replace')

    def stop(self, timeout=15):
        """SIGTERM the process group, then SIGKILL what is left."""
        if self.alive():
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(timeout=timeout)
        self._log.close()


def wait_until(predicate, timeout=30.0, interval=0.2, message=None):
    """Poll ``predicate`` until it returns a true value, or fail with
    ``message`` (a callable is called then, to describe the state at the
    time of failure)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    if callable(message):
        message = message()
    raise AssertionError(message or 'condition not met within %ss (last: %r)'
                         % (timeout, last))
