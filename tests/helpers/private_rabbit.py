"""A RabbitMQ node of the test's own: its own node name, AMQP and
distribution ports, mnesia, log and config directory, so a test may stop
and restart it without touching the machine's broker (5672).

The node runs as the ``rabbitmq`` user (as the packaged one does) and
registers with the machine's epmd. It is started in the foreground
(``rabbitmq-server`` without ``-detached``): the script's pid is the one
stopped, with SIGTERM, which it passes on to its Erlang VM.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

from tests.helpers import ports

RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server'
RABBITMQCTL = '/usr/lib/rabbitmq/bin/rabbitmqctl'


def available():
    try:
        pwd.getpwnam('rabbitmq')
    except KeyError:
        return False
    return os.getuid() == 0 and os.path.exists(RABBITMQ_SERVER)


class PrivateRabbit:

    def __init__(self, tls=None):
        """``tls``: (certificate, private key, CA certificate), PEM text,
        for a TLS listener on ``tls_port`` beside the plain one."""
        self.dir = tempfile.mkdtemp(prefix='trove-private-rabbit-')
        os.chmod(self.dir, 0o755)
        self.name = 'trove-test-%s@localhost' % uuid.uuid4().hex[:8]
        self.port = ports.free_port()
        self.dist_port = ports.free_port()
        self.tls_port = ports.free_port() if tls else None
        self.process = None
        for sub in ('mnesia', 'log'):
            os.makedirs(os.path.join(self.dir, sub))
        with open(os.path.join(self.dir, 'enabled_plugins'), 'w') as f:
            f.write('[].\n')
        config = ('listeners.tcp.1 = 127.0.0.1:%d\n'
                  'loopback_users = none\n' % self.port)
        if tls:
            config += self._tls_config(tls)
        with open(os.path.join(self.dir, 'rabbitmq.conf'), 'w') as f:
            f.write(config)
        user = pwd.getpwnam('rabbitmq')
        for root, dirs, files in os.walk(self.dir):
            for name in [root] + [os.path.join(root, n) for n in dirs + files]:
                os.chown(name, user.pw_uid, user.pw_gid)

    def _tls_config(self, tls):
        lines = ['listeners.ssl.1 = 127.0.0.1:%d' % self.tls_port,
                 # Clients are not asked for a certificate.
                 'ssl_options.verify = verify_none',
                 'ssl_options.fail_if_no_peer_cert = false']
        for option, text in zip(('certfile', 'keyfile', 'cacertfile'), tls):
            path = os.path.join(self.dir, option + '.pem')
            with open(path, 'w') as f:
                f.write(text)
            lines.append('ssl_options.%s = %s' % (option, path))
        return '\n'.join(lines) + '\n'

    @property
    def transport_url(self):
        return 'rabbit://guest:guest@127.0.0.1:%d/' % self.port

    def _env(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('RABBITMQ_')}
        env.update(
            HOME='/var/lib/rabbitmq',
            RABBITMQ_NODENAME=self.name,
            RABBITMQ_NODE_IP_ADDRESS='127.0.0.1',
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=os.path.join(self.dir, 'mnesia'),
            RABBITMQ_LOG_BASE=os.path.join(self.dir, 'log'),
            RABBITMQ_PID_FILE=os.path.join(self.dir, 'pid'),
            RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(self.dir,
                                                       'enabled_plugins'),
            RABBITMQ_CONFIG_FILE=os.path.join(self.dir, 'rabbitmq'),
            RABBITMQ_ADVANCED_CONFIG_FILE=os.path.join(self.dir,
                                                       'advanced.config'))
        return env

    def start(self, timeout=90):
        user = pwd.getpwnam('rabbitmq')
        self.process = subprocess.Popen(
            [RABBITMQ_SERVER], env=self._env(), cwd=self.dir,
            user=user.pw_uid, group=user.pw_gid, extra_groups=[],
            stdout=open(os.path.join(self.dir, 'log', 'stdout.log'), 'ab'),
            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None:
                raise RuntimeError('private RabbitMQ exited (%s): see %s' % (
                    self.process.returncode, self.dir))
            if time.monotonic() > deadline:
                raise RuntimeError('private RabbitMQ did not start in %d s'
                                   % timeout)
            time.sleep(0.5)

    def _answers(self):
        """The broker accepts AMQP (an AMQP 0-9-1 greeting is answered)."""
        try:
            with socket.create_connection(('127.0.0.1', self.port),
                                          timeout=2) as sock:
                sock.sendall(b'AMQP\x00\x00\x09\x01')
                return bool(sock.recv(8))
        except OSError:
            return False

    def ctl(self, *args):
        user = pwd.getpwnam('rabbitmq')
        return subprocess.run(
            [RABBITMQCTL, '-q', '-n', self.name] + list(args),
            env=self._env(), user=user.pw_uid, group=user.pw_gid,
            extra_groups=[], capture_output=True, text=True, timeout=60)

    def stop(self, timeout=60):
        """Stop the node (by the pid this object started)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self.process = None

    def restart(self, down_for=0):
        self.stop()
        time.sleep(down_for)
        self.start()

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
