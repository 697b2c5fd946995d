"""The virtualenv of the OpenStack test stack, installed once per machine.

Keystone, Placement, Glance, Nova, Neutron and Cinder pin their own oslo,
SQLAlchemy and eventlet versions, so they share one virtualenv of their
own under ~/.cache/trove-dev (TROVE_OPENSTACK_VENV), never the project's.
The exact versions are the ones verified together on this machine kind
(../shared/reference/openstack-on-one-machine.md); the stamp records them,
so changing a version here rebuilds the venv. The bind-every-port ML2
driver beside this module is installed into it as a distribution of its
own, with a stamp of its source so an edit reinstalls just that.

This module never starts a service.
"""

import hashlib
import json
import os
import shutil
import tempfile

from trove.localenv import external

PACKAGES = (
    'keystone==30.0.0',
    'openstack-placement==16.0.0',
    'glance==33.0.0',
    'nova==34.0.0',
    'neutron==29.0.0',
    'cinder==29.0.0',
    'gunicorn==27.0.1',
    'SQLAlchemy==2.1.9',
    'oslo.messaging==18.3.1',
    'eventlet==0.41.3',
    'PyMySQL==1.2.4',
)
ML2_DRIVER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              'ml2_bind_all')
ML2_DRIVER_FILES = ('setup.py', 'trove_ml2_bind_all.py')
ML2_STAMP_NAME = '.trove-ml2-driver'
PYPI_PROBE_URL = 'https://pypi.org/simple/nova/'


def default_venv_dir():
    return external.default_venv_dir('TROVE_OPENSTACK_VENV', 'openstack-venv')


def versions_digest():
    """A short digest of what the venv holds (names the stack template)."""
    content = json.dumps([list(PACKAGES), _ml2_driver_digest()])
    return hashlib.sha256(content.encode()).hexdigest()[:12]


def _ml2_driver_digest():
    digest = hashlib.sha256()
    for name in ML2_DRIVER_FILES:
        with open(os.path.join(ML2_DRIVER_DIR, name), 'rb') as source:
            digest.update(name.encode() + b'\0' + source.read())
    return digest.hexdigest()


def _ensure_ml2_driver(venv_dir):
    stamp = os.path.join(venv_dir, ML2_STAMP_NAME)
    digest = _ml2_driver_digest()
    if external.read_text(stamp) == digest:
        return
    with external.install_lock(venv_dir + '-ml2'):
        if external.read_text(stamp) == digest:
            return
        # pip builds in the source tree (build/, *.egg-info); a copy keeps
        # the checkout clean.
        with tempfile.TemporaryDirectory(prefix='trove-ml2-') as build_dir:
            source = os.path.join(build_dir, 'src')
            shutil.copytree(ML2_DRIVER_DIR, source,
                            ignore=shutil.ignore_patterns('__pycache__'))
            external.run([os.path.join(venv_dir, 'bin', 'python'), '-m',
                          'pip', 'install', '-q', '--no-deps',
                          '--disable-pip-version-check', source],
                         timeout=300)
        with open(stamp, 'w') as written:
            written.write(digest)


def ensure_venv(venv_dir=None):
    """The stack's virtualenv, installed once; returns its bin dir.

    About 100 s on a machine that never downloaded these wheels (~700 MB
    installed), a stamp check afterwards.
    """
    venv_dir = os.path.abspath(venv_dir or default_venv_dir())
    bin_dir = external.ensure_venv(venv_dir, PACKAGES)
    _ensure_ml2_driver(venv_dir)
    return bin_dir


def is_installed(venv_dir=None):
    venv_dir = os.path.abspath(venv_dir or default_venv_dir())
    return (external.stamp_matches(venv_dir, PACKAGES) and
            external.read_text(os.path.join(venv_dir, ML2_STAMP_NAME)) ==
            _ml2_driver_digest())


def pypi_reachable(timeout=10):
    """Whether pip could download from PyPI (for a clear skip reason)."""
    return external.http_answers(PYPI_PROBE_URL, timeout=timeout)
