"""A fork server: a Python process that has imported a program once and
forks a detached copy of it per request.

Starting a Python program costs its interpreter start and its imports
every time (for the guest agent, about 0.2 CPU seconds: oslo.config,
oslo.log, the RPC client, the manager), which is most of what a local
instance's build costs beyond its engine. A fork of a process that has
already imported them costs a few milliseconds, and the copies share the
imported code's memory until they write to it.

The server is the starter's child, driven over its stdin and stdout
(one JSON line per request and per answer), and exits when its stdin
closes, so it never outlives its starter. What it forks is detached as
``trove.common.daemon`` detaches a program (its own session, re-parented
to init, output in a log file, pid in a pid file), so it outlives both.
The server never starts a thread: forking a threaded process could copy
a lock some other thread held.
"""

import atexit
import ctypes
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import traceback

from trove.common import daemon

PR_SET_NAME = 15
# How long a forked program may take to set itself up (its log and pid
# files) before the request is answered with an error.
SETUP_WAIT = 10


# The server side ---------------------------------------------------------
def serve(entry, title, requests=None, answers=None):
    """Answer requests from ``requests`` (default stdin) until it closes:
    each is ``{"argv": [...], "pid_file": ..., "log_file": ...}``, run as
    ``entry(argv)`` in a detached process; the answer is ``{"pid": n}``
    or ``{"error": "..."}``. ``title`` names the forked processes (what
    ``ps`` and ``top`` show)."""
    requests = requests or sys.stdin.buffer
    answers = answers or sys.stdout.buffer
    # Interrupting the starter's terminal ends the starter, which closes
    # the pipe; the server then ends by itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for line in iter(requests.readline, b''):
        try:
            request = json.loads(line)
            answer = {'pid': _fork_detached(entry, title, request)}
        except Exception as error:      # told to the starter, not fatal
            answer = {'error': '%s: %s' % (type(error).__name__, error)}
        answers.write(json.dumps(answer).encode() + b'\n')
        answers.flush()


def _fork_detached(entry, title, request):
    pid_file = request['pid_file']
    if os.path.exists(pid_file):
        os.unlink(pid_file)
    # The program says on this pipe that it is set up ("ok", its pid in
    # its pid file) or why not, then closes it.
    status_read, status_write = os.pipe()
    first = os.fork()
    if first == 0:
        try:
            os.close(status_read)
            os.setsid()
            if os.fork() == 0:
                _become(entry, title, request, status_write)  # no return
        finally:
            os._exit(0)
    os.close(status_write)
    try:
        os.waitpid(first, 0)
        status = _read_all(status_read, SETUP_WAIT)
    finally:
        os.close(status_read)
    if status != b'ok':
        raise RuntimeError(status.decode(errors='replace')
                           or 'the forked program did not start')
    return daemon.read_pid(pid_file)


def _read_all(fd, timeout):
    deadline = time.monotonic() + timeout
    chunks = []
    while True:
        ready, _, _ = select.select([fd], [], [],
                                    max(0, deadline - time.monotonic()))
        if not ready:
            return b''.join(chunks)
        chunk = os.read(fd, 4096)
        if not chunk:
            return b''.join(chunks)
        chunks.append(chunk)


def _become(entry, title, request, status_fd):
    """In the detached grandchild: the program's own process."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if request.get('cwd'):
            os.chdir(request['cwd'])
        daemon.redirect_output(request['log_file'])
        _set_title(title)
        daemon.write_pid(request['pid_file'], os.getpid())
    except BaseException as error:
        os.write(status_fd, ('%s: %s' % (type(error).__name__,
                                          error)).encode())
        os._exit(1)
    os.write(status_fd, b'ok')
    # The status pipe, the server's pipes and anything else it held.
    os.closerange(3, os.sysconf('SC_OPEN_MAX'))
    code = 1
    try:
        sys.argv = [title] + list(request['argv'])
        code = entry(list(request['argv']))
    except SystemExit as exit_request:
        code = exit_request.code
    except BaseException:
        traceback.print_exc()
    if isinstance(code, str):       # as sys.exit prints a string status
        print(code, file=sys.stderr)
        code = 1
    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code or 0)


def _set_title(title):
    """The process name ``ps -o comm`` and ``top`` show (15 bytes)."""
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(PR_SET_NAME, title.encode()[:15], 0, 0, 0)
    except (OSError, AttributeError):
        pass


# The starter's side ----------------------------------------------------
class ForkServerError(Exception):
    pass


class ForkServer:
    """The starter's handle on one fork server, started on first use and
    again if it died. Safe to share between threads."""

    def __init__(self, command, env=None, answer_timeout=30):
        self.command = list(command)
        self.env = env
        self.answer_timeout = answer_timeout
        self._process = None
        self._lock = threading.Lock()
        atexit.register(self.close)

    def start(self):
        """Start the server now rather than at the first request."""
        with self._lock:
            self._running()

    def spawn(self, argv, pid_file, log_file, cwd=None):
        """The pid of a detached run of the server's program with
        ``argv``; ForkServerError if the server could not do it."""
        request = json.dumps({'argv': list(argv), 'pid_file': pid_file,
                              'log_file': log_file, 'cwd': cwd})
        with self._lock:
            process = self._running()
            try:
                process.stdin.write(request.encode() + b'\n')
                process.stdin.flush()
                answer = self._answer(process)
            except (OSError, ValueError, ForkServerError) as error:
                self._stop()
                raise ForkServerError(str(error)) from error
        if 'pid' not in answer:
            raise ForkServerError(answer.get('error') or repr(answer))
        return answer['pid']

    def _running(self):
        if self._process is None or self._process.poll() is not None:
            try:
                self._process = subprocess.Popen(
                    self.command, stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, env=self.env)
            except OSError as error:
                raise ForkServerError('cannot start %s: %s' % (
                    self.command[0], error)) from error
        return self._process

    def _answer(self, process):
        ready, _, _ = select.select([process.stdout], [], [],
                                    self.answer_timeout)
        if not ready:
            raise ForkServerError('no answer within %s seconds'
                                  % self.answer_timeout)
        line = process.stdout.readline()
        if not line:
            raise ForkServerError('the fork server exited (status %s)'
                                  % process.wait(5))
        return json.loads(line)

    def _stop(self):
        process, self._process = self._process, None
        if process is None:
            return
        for pipe in (process.stdin, process.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def close(self):
        """Stop the server (what it forked goes on)."""
        with self._lock:
            self._stop()

    @property
    def pid(self):
        process = self._process
        return process.pid if process and process.poll() is None else None
