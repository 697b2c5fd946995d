"""Horizon with trove-dashboard on 127.0.0.1, beside trove-local's services.

Horizon and trove-dashboard pin their own Django and client versions, so
they live in a virtualenv of their own (``~/.cache/trove-dev/horizon-venv``,
or ``TROVE_HORIZON_VENV``), prepared once per machine: the packages, every
panel file of ``trove_dashboard/enabled/`` copied into
``openstack_dashboard/local/enabled/`` (the backup strategies panel
included), a settings snippet making the Database panel the home page
(the Overview page would ask Nova and Cinder for usage and limits, which
trove-local does not serve), and the static files collected and compressed
offline into ``<venv>/trove-static``.

Each deployment gets ``<state dir>/horizon/``: a ``local/local_settings.py``
that Horizon imports as ``local.local_settings`` (the directory comes first
on ``PYTHONPATH``, so nothing of the deployment is written into the
virtualenv), its secret key, the dashboard's port (chosen free once), pid
file and log. The dashboard runs under ``django-admin runserver --insecure
--noreload`` and is stopped by its pid.

This module never binds anything but 127.0.0.1 and knows nothing of Trove
beyond the Keystone URL it is given.
"""

import glob
import os
import shutil

from trove.common import daemon
from trove.localenv import config as local_config
from trove.localenv import external

PACKAGES = ('horizon==27.0.0', 'trove-dashboard==27.0.0')
STATIC_DIR = 'trove-static'
START_TIMEOUT = 60
BUILD_TIMEOUT = 300
SETTINGS_MODULE = 'openstack_dashboard.settings'

LOCAL_SETTINGS = """\
# Written by trove-local; rewritten on every "trove-local up --horizon".
DEBUG = False
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
SECRET_KEY = {secret_key!r}
OPENSTACK_HOST = '127.0.0.1'
OPENSTACK_KEYSTONE_URL = {keystone_url!r}
OPENSTACK_KEYSTONE_DEFAULT_ROLE = 'member'
OPENSTACK_ENDPOINT_TYPE = 'publicURL'
# No database and no memcached: the session lives in a signed cookie and
# the cache in each process.
SESSION_ENGINE = 'django.contrib.sessions.backends.signed_cookies'
CACHES = {{'default': {{
    'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}}}}
STATIC_ROOT = {static_root!r}
COMPRESS_OFFLINE = True
TIME_ZONE = 'UTC'
"""


def default_venv_dir():
    return external.default_venv_dir('TROVE_HORIZON_VENV', 'horizon-venv')


def _site_packages(venv_dir):
    found = glob.glob(os.path.join(venv_dir, 'lib', 'python3*',
                                   'site-packages'))
    if not found:
        raise external.ExternalServiceError('no site-packages in %s'
                                            % venv_dir)
    return found[0]


def static_root(venv_dir):
    return os.path.join(venv_dir, STATIC_DIR)


# Run by Horizon's settings module on import (local_settings.d snippets
# see its globals); the same for every trove-local deployment.
HOME_SNIPPET = """\
# Written by trove-local: users land on the Database panel.
HORIZON_CONFIG['user_home'] = WEBROOT + 'project/databases/'
"""
HOME_SNIPPET_NAME = '_90_trove_local_home.py'


def _install_file(source_text, target):
    """Write ``target`` unless it already holds ``source_text``: a running
    dashboard of another state dir may be importing it."""
    try:
        with open(target) as current:
            if current.read() == source_text:
                return
    except OSError:
        pass
    with open(target + '.tmp', 'w') as new:
        new.write(source_text)
    os.replace(target + '.tmp', target)


def _enable_trove_panels(venv_dir):
    """Every trove-dashboard panel file in Horizon's local enabled
    directory, and the home page snippet; returns the panel file names."""
    site = _site_packages(venv_dir)
    local = os.path.join(site, 'openstack_dashboard', 'local')
    names = []
    for path in sorted(glob.glob(os.path.join(site, 'trove_dashboard',
                                              'enabled', '_[0-9]*.py'))):
        with open(path) as panel:
            _install_file(panel.read(), os.path.join(
                local, 'enabled', os.path.basename(path)))
        names.append(os.path.basename(path))
    os.makedirs(os.path.join(local, 'local_settings.d'), exist_ok=True)
    _install_file(HOME_SNIPPET, os.path.join(local, 'local_settings.d',
                                             HOME_SNIPPET_NAME))
    return names


def write_local_settings(directory, keystone_url, secret_key, static):
    """``directory/local/local_settings.py``; True when it changed."""
    package = os.path.join(directory, 'local')
    os.makedirs(package, exist_ok=True)
    with open(os.path.join(package, '__init__.py'), 'w'):
        pass
    path = os.path.join(package, 'local_settings.py')
    text = LOCAL_SETTINGS.format(secret_key=secret_key,
                                 keystone_url=keystone_url,
                                 static_root=static)
    try:
        with open(path) as current:
            if current.read() == text:
                return False
    except OSError:
        pass
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, 'w') as settings:
        settings.write(text)
    return True


def _django_env(settings_dir):
    return dict(os.environ, DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
                PYTHONPATH=settings_dir)


def _build_static(venv_dir):
    """collectstatic and the offline compression, into the venv."""
    build_dir = os.path.join(venv_dir, 'trove-build')
    write_local_settings(build_dir, 'http://127.0.0.1/identity/v3',
                         'build-only', static_root(venv_dir))
    django_admin = os.path.join(venv_dir, 'bin', 'django-admin')
    env = _django_env(build_dir)
    external.run([django_admin, 'collectstatic', '--noinput', '-v0'],
                 timeout=BUILD_TIMEOUT, env=env, cwd=build_dir)
    external.run([django_admin, 'compress', '--force', '-v0'],
                 timeout=BUILD_TIMEOUT, env=env, cwd=build_dir)
    shutil.rmtree(build_dir, ignore_errors=True)


def ensure_venv(venv_dir=None):
    """The dashboard's virtualenv, its panels enabled and its static files
    built; installed once (~70 s), a stamp check afterwards."""
    venv_dir = os.path.abspath(venv_dir or default_venv_dir())
    external.ensure_venv(venv_dir, PACKAGES)
    _enable_trove_panels(venv_dir)
    stamp = os.path.join(static_root(venv_dir), '.built')
    if not os.path.exists(stamp):
        with external.install_lock(venv_dir):
            if not os.path.exists(stamp):
                _build_static(venv_dir)
                with open(stamp, 'w') as done:
                    done.write('%s\n' % ' '.join(PACKAGES))
    return venv_dir


class Dashboard:
    """The dashboard of one state directory."""

    def __init__(self, state_dir, venv_dir=None):
        self.dir = os.path.join(os.path.abspath(state_dir), 'horizon')
        self.venv_dir = os.path.abspath(venv_dir or default_venv_dir())

    def _path(self, name):
        return os.path.join(self.dir, name)

    @property
    def port(self):
        """Chosen free the first time (and again when another program took
        it while the dashboard was not running)."""
        return external.remembered_port(
            self._path('trove-local.json'),
            reclaim=self.running_pid() is None)

    @property
    def url(self):
        return 'http://127.0.0.1:%d/' % self.port

    @property
    def pid_path(self):
        return self._path('horizon.pid')

    @property
    def log_path(self):
        return self._path('horizon.log')

    def _secret_key(self):
        return local_config.kept_secret(self._path('secret_key'), 48)

    def running_pid(self):
        return (daemon.read_pid(self.pid_path)
                if daemon.is_running(self.pid_path) else None)

    def start(self, keystone_url):
        """Install (once), configure and serve; returns the pid once the
        login page answers. A running dashboard whose settings changed
        (another Keystone port) is restarted."""
        ensure_venv(self.venv_dir)
        os.makedirs(self.dir, exist_ok=True)
        changed = write_local_settings(self.dir, keystone_url,
                                       self._secret_key(),
                                       static_root(self.venv_dir))
        if changed:
            self.stop()
        if self.running_pid() is None:
            daemon.spawn([os.path.join(self.venv_dir, 'bin', 'django-admin'),
                          'runserver', '--insecure', '--noreload',
                          '127.0.0.1:%d' % self.port],
                         self.pid_path, self.log_path,
                         env=_django_env(self.dir), cwd=self.dir)
        try:
            external.wait_for_http(self.url + 'auth/login/', self.pid_path,
                                   self.log_path, timeout=START_TIMEOUT)
        except external.ExternalServiceError:
            self.stop()
            raise
        return daemon.read_pid(self.pid_path)

    def stop(self):
        """Stop the dashboard by its pid; the pid, or None."""
        pid = self.running_pid()
        if pid is not None:
            external.stop_pid_file(self.pid_path)
        return pid
