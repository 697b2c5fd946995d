"""One OpenStack test stack: its state dir, template, bring-up and stop.

``OpenStackStack(state_dir).up()`` gives a working Keystone, Placement,
Glance, Nova, Neutron and Cinder on free loopback ports. The first time on
a machine (per set of versions) it builds a template from scratch (~110 s:
databases migrated, users and catalog, flavors, image, networks) under
~/.cache/trove-dev; every bring-up copies the template into its state dir
and starts from there (~35 s). ``down()`` stops every process by its pid
and deletes the stack's RabbitMQ vhost; the state dir is the caller's.

What must change between bring-ups of one template is rewritten here:
ports in Keystone's catalog and in the configs, Glance's image locations
(absolute paths), the RabbitMQ vhost. Nova's cell mappings are URL
templates filled from nova.conf, so they need no rewrite.
"""

import concurrent.futures
import dataclasses
import datetime
import json
import os
import secrets
import shutil
import time
import uuid

from trove.common import daemon
from trove.localenv import external, keystone
from trove.localenv.openstack import (
    catalog,
    configs,
    install,
    mariadb,
    migrations,
    processes,
    rabbit,
    readiness,
    resources,
)

# Bump when the template's content changes in a way old templates lack.
TEMPLATE_FORMAT = 3
PORT_NAMES = ('mariadb', 'keystone', 'placement', 'glance', 'nova',
              'neutron', 'cinder')
TEMPLATE_FILE = 'template.json'
SETTINGS_FILE = 'settings.json'
READY_TIMEOUT = 180


def default_template_dir():
    root = (os.environ.get('TROVE_OPENSTACK_TEMPLATES') or
            os.path.join(external.CACHE_DIR, 'openstack-templates'))
    return os.path.join(root, '%s-f%d' % (install.versions_digest(),
                                          TEMPLATE_FORMAT))


@dataclasses.dataclass
class StackEnvironment:
    """What a client of the stack needs: identity, endpoints, resources."""
    identity: keystone.IdentityEnvironment
    resources: resources.StackResources
    endpoints: dict        # service type -> URL (public)
    transport_url: str

    @property
    def auth_url(self):
        return self.identity.auth_url


class OpenStackStack:

    def __init__(self, state_dir, venv_dir=None, template_dir=None):
        self.state_dir = os.path.abspath(state_dir)
        self.venv_dir = os.path.abspath(venv_dir or
                                        install.default_venv_dir())
        self.template_dir = template_dir or default_template_dir()
        self.timings = {}
        self.settings = self._load(SETTINGS_FILE)

    # -- state -------------------------------------------------------------
    def path(self, *parts):
        return os.path.join(self.state_dir, *parts)

    def _load(self, name):
        try:
            with open(self.path(name)) as stored:
                return json.load(stored)
        except (OSError, ValueError):
            return None

    def _save(self, name, data):
        os.makedirs(self.state_dir, exist_ok=True)
        descriptor = os.open(self.path(name),
                             os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, 'w') as stored:
            json.dump(data, stored, indent=1)

    def _new_settings(self, passwords):
        self.settings = {
            'ports': {name: external.free_loopback_port()
                      for name in PORT_NAMES},
            'vhost': 'trove-openstack-' + uuid.uuid4().hex[:10],
            'passwords': passwords}
        self._save(SETTINGS_FILE, self.settings)

    # -- components --------------------------------------------------------
    @property
    def mariadb(self):
        return mariadb.PrivateMariaDB(self.path('mysql'),
                                      self.settings['ports']['mariadb'],
                                      self.settings['passwords']['database'])

    @property
    def keystone(self):
        return keystone.KeystoneServer(
            self.path('keystone'), self.settings['ports']['keystone'],
            venv_dir=self.venv_dir, install_venv=install.ensure_venv)

    @property
    def context(self):
        return configs.StackContext(
            state_dir=self.state_dir, venv_dir=self.venv_dir,
            ports=self.settings['ports'],
            passwords=self.settings['passwords'],
            transport_url=rabbit.transport_url(self.settings['vhost']),
            database_url=self.mariadb.url)

    @property
    def processes(self):
        return processes.ProcessTable(self.context)

    def environment(self):
        template = self._load(TEMPLATE_FILE)
        identity = self.keystone.load_identity()
        return StackEnvironment(
            identity=identity,
            resources=resources.StackResources.from_dict(dict(
                template['resources'], **self.settings.get('networks', {}))),
            endpoints=catalog.endpoint_urls(self.settings['ports']),
            transport_url=self.context.transport_url)

    # -- bring-up --------------------------------------------------------------
    def up(self):
        """Start the stack (from the template; built first if missing)."""
        started = time.monotonic()
        install.ensure_venv(self.venv_dir)
        self.timings['install'] = time.monotonic() - started
        if self.settings is None:
            template = ensure_template(self.venv_dir, self.template_dir)
            self.timings['template'] = time.monotonic() - started
            self._restore(template)
        try:
            self._start()
        except Exception:
            self.down()
            raise
        self.timings['up'] = time.monotonic() - started
        return self.environment()

    def _restore(self, template_dir):
        """Copy the template's data into this (new) state dir."""
        shutil.copytree(template_dir, self.state_dir, symlinks=True,
                        dirs_exist_ok=True)
        template = self._load(TEMPLATE_FILE)
        self._new_settings(template['passwords'])
        catalog.rewrite_endpoint_ports(self.path('keystone', 'keystone.db'),
                                       self.settings['ports'])
        server = self.keystone
        identity = server.load_identity()
        identity.auth_url = server.auth_url
        identity.endpoints['identity'] = server.auth_url
        server._save_identity(identity)
        # The catalog already names the new port: no bootstrap rerun.
        with open(server._path('bootstrapped-port'), 'w') as marker:
            marker.write(str(server.port))
        template['restored_from'] = template_dir
        self._save(TEMPLATE_FILE, template)

    def _start(self):
        self.start_utc = _utcnow()
        started = time.monotonic()
        ctx = self.context
        database = self.mariadb
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            vhost = pool.submit(rabbit.create_vhost, self.settings['vhost'])
            database.start()
            keystone_started = pool.submit(self._start_keystone)
            configs.write_all(ctx)
            database.wait_ready()
            self._relocate_glance_images(database)
            vhost.result()
            self.timings['spawn'] = time.monotonic() - started
            self._start_services()
            keystone_started.result()
        readiness.wait_for_apis(ctx, self.processes, timeout=READY_TIMEOUT)
        self.timings['apis'] = time.monotonic() - started
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            warmed = pool.submit(readiness.warm_up, self)
            networks = pool.submit(self._create_networks)
            readiness.wait_for_services(self, timeout=READY_TIMEOUT)
            self.timings['services'] = time.monotonic() - started
            warmed.result()
            networks.result()

    def _create_networks(self):
        if self.settings.get('networks'):
            return
        identity = self.keystone.load_identity()
        session = resources.admin_session(identity.auth_url, identity.admin)
        self.settings['networks'] = resources.create_networks(
            session, identity.projects)
        self._save(SETTINGS_FILE, self.settings)

    def _start_services(self):
        table = self.processes
        table.start()
        name, text = processes.LATE_AFTER
        readiness.wait_for_log_line(table, name, text, READY_TIMEOUT)
        table.start(processes.LATE)

    def _start_keystone(self):
        server = self.keystone
        server.setup()
        server.start()

    def _relocate_glance_images(self, database):
        template = self._load(TEMPLATE_FILE)
        old = template.get('state_dir')
        if old and old != self.state_dir:
            database.execute(
                "UPDATE glance.image_locations SET value = "
                "REPLACE(value, 'file://%s/', 'file://%s/')"
                % (old, self.state_dir))
            template['state_dir'] = self.state_dir
            self._save(TEMPLATE_FILE, template)

    # -- stop ----------------------------------------------------------------
    def down(self):
        """Stop every process by its pid and drop the RabbitMQ vhost."""
        if self.settings is None:
            return
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            services = pool.submit(self.processes.stop)
            identity = pool.submit(self.keystone.stop)
            services.result()
            identity.result()
        # MariaDB last: the services close their connections first, and
        # a clean shutdown keeps a datadir usable as a template.
        self.mariadb.stop()
        rabbit.delete_vhost(self.settings['vhost'])
        self.timings['down'] = time.monotonic() - started

    def running(self):
        pids = self.processes.running()
        for name, path in (('mariadb', self.mariadb.pid_path),
                           ('keystone', self.keystone.pid_path)):
            pid = daemon.read_pid(path)
            if daemon.pid_alive(pid):
                pids[name] = pid
        return pids

    # -- template build ------------------------------------------------------
    def build(self):
        """Create everything from nothing in this (empty) state dir."""
        self.start_utc = _utcnow()
        passwords = {user: secrets.token_urlsafe(12)
                     for user in configs.SERVICE_USERS + ('database',)}
        self._new_settings(passwords)
        ctx = self.context
        database = self.mariadb
        database.initialize()
        rabbit.create_vhost(self.settings['vhost'])
        database.start()
        database.wait_ready()
        database.create_databases()
        configs.write_all(ctx)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            migrated = pool.submit(migrations.run_all, ctx)
            identity = self._bootstrap_identity()
            migrated.result()
        self._save(TEMPLATE_FILE, {'passwords': passwords,
                                   'state_dir': self.state_dir})
        self._start_services()
        readiness.wait_for_apis(ctx, self.processes, timeout=READY_TIMEOUT)
        readiness.wait_for_compute_host(self, timeout=READY_TIMEOUT)
        migrations.discover_compute_hosts(ctx)
        readiness.wait_for_services(self, timeout=READY_TIMEOUT)
        session = resources.admin_session(identity.auth_url, identity.admin)
        template = self._load(TEMPLATE_FILE)
        template['resources'] = resources.create_template_resources(
            session, identity.projects)
        template['built'] = _utcnow().isoformat()
        self._save(TEMPLATE_FILE, template)

    def _bootstrap_identity(self):
        server = self.keystone
        server.setup()
        server.start()
        # Nothing serves the database endpoint yet: a Trove API registers
        # itself when it starts.
        identity = server.bootstrap_trove(
            'http://127.0.0.1:%d/v1.0/$(tenant_id)s'
            % external.free_loopback_port())
        admin = keystone.AdminClient(server.auth_url, server.admin_token())
        catalog.register_services(admin, self.settings['passwords'],
                                  self.settings['ports'])
        return identity


# What a template keeps of a built state dir: data, keys, ids; not
# configs (rendered per bring-up), pid files or logs.
TEMPLATE_SKIP = ('run', 'etc', SETTINGS_FILE)


def ensure_template(venv_dir, template_dir):
    """The template dir, built once (under a lock) when missing."""
    if os.path.exists(os.path.join(template_dir, TEMPLATE_FILE)):
        return template_dir
    with external.install_lock(template_dir):
        if os.path.exists(os.path.join(template_dir, TEMPLATE_FILE)):
            return template_dir
        build_dir = template_dir + '.build'
        shutil.rmtree(build_dir, ignore_errors=True)
        builder = OpenStackStack(build_dir, venv_dir=venv_dir,
                                 template_dir=template_dir)
        try:
            builder.build()
        finally:
            builder.down()
        for name in TEMPLATE_SKIP:
            path = os.path.join(build_dir, name)
            if os.path.isdir(path):
                shutil.rmtree(path)
            elif os.path.exists(path):
                os.unlink(path)
        _remove_logs(build_dir)
        os.rename(build_dir, template_dir)
    return template_dir


def _utcnow():
    return datetime.datetime.now(datetime.UTC)


def _remove_logs(directory):
    for root, _dirs, files in os.walk(directory):
        for name in files:
            if name.endswith(('.log', '.out', '.pid', '.sock')):
                os.unlink(os.path.join(root, name))
