"""Configuration files of the OpenStack test stack's services.

Rendered from a ``StackContext`` (paths, ports, passwords, transport URL)
into the stack's ``etc`` dir on every bring-up, since ports and paths
change between bring-ups while the data (template) stays. The lines that
matter, and why, are in ../shared/reference/openstack-on-one-machine.md;
the paste pipelines are the ones each service's wheel installs under the
venv's ``etc``.

This module only renders text; it never writes outside the files it is
asked to write and never starts anything.
"""

import dataclasses
import os

REGION = 'RegionOne'
SERVICE_PROJECT = 'service'
# Fixed host names: the template's service records, compute node and
# volume service stay valid from one bring-up to the next.
COMPUTE_HOST = 'trove-os-compute'
VOLUME_HOST = 'trove-os-volume'
VOLUME_BACKEND = 'fake'
# One OpenStack user per service, as a cloud has.
SERVICE_USERS = ('nova', 'placement', 'glance', 'neutron', 'cinder')


@dataclasses.dataclass
class StackContext:
    state_dir: str
    venv_dir: str
    ports: dict          # service name -> port
    passwords: dict      # service user -> password, plus 'database'
    transport_url: str
    database_url: object  # callable: database name -> SQLAlchemy URL

    @property
    def auth_url(self):
        return 'http://127.0.0.1:%d/v3' % self.ports['keystone']

    def path(self, *parts):
        return os.path.join(self.state_dir, *parts)

    def venv_etc(self, *parts):
        return os.path.join(self.venv_dir, 'etc', *parts)


def render(sections):
    """INI text from [(section, {option: value})]; None values are left out."""
    lines = []
    for name, options in sections:
        lines.append('[%s]' % name)
        for key, value in options.items():
            if value is None:
                continue
            if isinstance(value, bool):
                value = 'true' if value else 'false'
            lines.append('%s = %s' % (key, value))
        lines.append('')
    return '\n'.join(lines)


def password_auth(ctx, user, **extra):
    """keystoneauth password options for ``user`` in the service project."""
    options = {'auth_type': 'password', 'auth_url': ctx.auth_url,
               'username': user, 'password': ctx.passwords[user],
               'project_name': SERVICE_PROJECT,
               'user_domain_name': 'Default',
               'project_domain_name': 'Default',
               'region_name': REGION}
    options.update(extra)
    return options


def authtoken(ctx, user):
    return password_auth(ctx, user, www_authenticate_uri=ctx.auth_url,
                         service_token_roles_required=True)


def _common_defaults(ctx, **extra):
    # report_interval: RPC services say they are up within seconds of a
    # start, which is what the stack's readiness waits for.
    options = {'debug': False, 'use_stderr': True,
               'transport_url': ctx.transport_url, 'report_interval': 2}
    options.update(extra)
    return options


def nova_conf(ctx):
    return render([
        ('DEFAULT', _common_defaults(
            ctx, host=COMPUTE_HOST, my_ip='127.0.0.1',
            state_path=ctx.path('nova'),
            instances_path=ctx.path('nova', 'instances'),
            compute_driver='fake.FakeDriverWithoutFakeNodes',
            allow_resize_to_same_host=True, periodic_fuzzy_delay=0,
            vif_plugging_is_fatal=False, vif_plugging_timeout=0)),
        ('api', {'auth_strategy': 'keystone'}),
        ('wsgi', {'api_paste_config': ctx.venv_etc('nova', 'api-paste.ini')}),
        ('api_database', {'connection': ctx.database_url('nova_api')}),
        ('database', {'connection': ctx.database_url('nova')}),
        ('keystone_authtoken', authtoken(ctx, 'nova')),
        ('service_user', password_auth(ctx, 'nova',
                                       send_service_user_token=True)),
        ('placement', password_auth(ctx, 'nova')),
        # The conductor needs [neutron] too, or resize fails with
        # "Unknown auth type: None".
        ('neutron', password_auth(ctx, 'nova')),
        ('cinder', password_auth(ctx, 'nova', os_region_name=REGION)),
        ('glance', {'region_name': REGION}),
        ('vnc', {'enabled': False}),
        ('conductor', {'workers': 1}),
        # Without a short discovery interval a new compute host is mapped
        # to its cell only after up to 60 s (HostMappingNotFound).
        ('scheduler', {'workers': 1, 'discover_hosts_in_cells_interval': 2}),
        ('oslo_concurrency', {'lock_path': ctx.path('nova', 'locks')}),
        ('oslo_messaging_notifications', {'driver': 'noop'}),
    ])


def placement_conf(ctx):
    return render([
        ('DEFAULT', {'debug': False, 'use_stderr': True}),
        ('api', {'auth_strategy': 'keystone'}),
        ('placement_database', {'connection': ctx.database_url('placement')}),
        ('keystone_authtoken', authtoken(ctx, 'placement')),
    ])


def glance_conf(ctx):
    return render([
        ('DEFAULT', {'debug': False, 'use_stderr': True,
                     'enabled_backends': 'fs:file',
                     'transport_url': ctx.transport_url}),
        ('database', {'connection': ctx.database_url('glance')}),
        ('glance_store', {'default_backend': 'fs'}),
        ('fs', {'filesystem_store_datadir': ctx.path('glance', 'images')}),
        ('os_glance_staging_store', {
            'filesystem_store_datadir': ctx.path('glance', 'staging')}),
        ('os_glance_tasks_store', {
            'filesystem_store_datadir': ctx.path('glance', 'tasks')}),
        ('paste_deploy', {
            'flavor': 'keystone',
            'config_file': ctx.venv_etc('glance', 'glance-api-paste.ini')}),
        ('keystone_authtoken', authtoken(ctx, 'glance')),
        ('oslo_concurrency', {'lock_path': ctx.path('glance', 'locks')}),
        ('oslo_messaging_notifications', {'driver': 'noop'}),
    ])


def neutron_conf(ctx):
    return render([
        ('DEFAULT', _common_defaults(
            ctx, core_plugin='ml2',
            # Without port_forwarding, GET /ports is a 500 on SQLAlchemy
            # 2.1 ('Port' has no attribute 'port_forwardings').
            service_plugins='router,port_forwarding',
            auth_strategy='keystone', allow_overlapping_ips=True,
            api_paste_config=ctx.venv_etc('neutron', 'api-paste.ini'),
            notify_nova_on_port_status_changes=False,
            notify_nova_on_port_data_changes=False,
            api_workers=1, rpc_workers=0, rpc_state_report_workers=0,
            state_path=ctx.path('neutron'))),
        ('database', {'connection': ctx.database_url('neutron')}),
        ('keystone_authtoken', authtoken(ctx, 'neutron')),
        ('nova', password_auth(ctx, 'neutron')),
        ('oslo_concurrency', {'lock_path': ctx.path('neutron', 'locks')}),
        ('oslo_messaging_notifications', {'driver': 'noop'}),
    ])


def ml2_conf(ctx):
    return render([
        ('ml2', {'type_drivers': 'flat,local',
                 'tenant_network_types': 'local',
                 'mechanism_drivers': 'trove_bind_all',
                 'extension_drivers': 'port_security'}),
        ('ml2_type_flat', {'flat_networks': '*'}),
        ('securitygroup', {'enable_security_group': True}),
    ])


def cinder_conf(ctx):
    return render([
        ('DEFAULT', _common_defaults(
            ctx, host=VOLUME_HOST, my_ip='127.0.0.1',
            auth_strategy='keystone', state_path=ctx.path('cinder'),
            api_paste_config=ctx.venv_etc('cinder', 'api-paste.ini'),
            osapi_volume_listen='127.0.0.1',
            osapi_volume_listen_port=ctx.ports['cinder'],
            osapi_volume_workers=1,
            enabled_backends=VOLUME_BACKEND,
            default_volume_type=None)),
        ('database', {'connection': ctx.database_url('cinder')}),
        ('keystone_authtoken', authtoken(ctx, 'cinder')),
        (VOLUME_BACKEND, {
            'volume_driver': 'cinder.tests.fake_driver.FakeLoggingVolumeDriver',
            'volume_backend_name': VOLUME_BACKEND}),
        ('coordination', {
            'backend_url': 'file://' + ctx.path('cinder', 'coordination')}),
        # Nova password auth: an in-use extend sends Nova the
        # volume-extended event.
        ('nova', password_auth(ctx, 'cinder')),
        ('oslo_concurrency', {'lock_path': ctx.path('cinder', 'locks')}),
        ('oslo_messaging_notifications', {'driver': 'noop'}),
    ])


# file name -> renderer; every file lands in <state dir>/etc/<service>/.
FILES = {
    ('nova', 'nova.conf'): nova_conf,
    ('placement', 'placement.conf'): placement_conf,
    ('glance', 'glance-api.conf'): glance_conf,
    ('neutron', 'neutron.conf'): neutron_conf,
    ('neutron', 'ml2_conf.ini'): ml2_conf,
    ('cinder', 'cinder.conf'): cinder_conf,
}


# Directories the services expect to exist (state, locks, stores).
STATE_DIRS = (('nova', 'instances'), ('nova', 'locks'), ('glance', 'images'),
              ('glance', 'staging'), ('glance', 'tasks'), ('glance', 'locks'),
              ('neutron', 'locks'), ('cinder', 'locks'),
              ('cinder', 'coordination'))


def config_dir(ctx, service):
    return ctx.path('etc', service)


def write_all(ctx):
    """Write every service's config (and make the directories they name);
    returns {(service, name): path}."""
    for parts in STATE_DIRS:
        os.makedirs(ctx.path(*parts), exist_ok=True)
    written = {}
    for (service, name), renderer in FILES.items():
        directory = config_dir(ctx, service)
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, name)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                             0o600)
        with os.fdopen(descriptor, 'w') as conf:
            conf.write(renderer(ctx))
        written[(service, name)] = path
    return written
