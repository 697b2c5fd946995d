"""trove-local: run the whole control plane on this machine.

    trove-local up --state-dir DIR [--api-port PORT] [--control-db URL]
                   [--keystone [--keystone-port PORT] [--horizon]] [--swift]
    trove-local status --state-dir DIR
    trove-local down --state-dir DIR

``up`` is idempotent: it rewrites the config, migrates the control DB,
registers the engines installed here, creates default flavors when there
are none, starts whatever service is not running, waits for the API and
writes ``DIR/openrc``. With ``--keystone`` a real Keystone runs beside the
services (state in ``DIR/keystone``), trove-api checks its tokens, and
the openrc files use password authentication, and the local provider
serves the read-only Nova and Cinder routes dashboards read (catalog types
``compute``, ``volumev3``, ``block-storage``); ``--horizon`` adds Horizon
with trove-dashboard (state in ``DIR/horizon``). Backups go to
``DIR/backups``; with ``--swift`` to a real one-node Swift run under
``DIR/swift``.
"""

import argparse
import os
import sys

from trove.common import ports
from trove.localenv import config as local_config
from trove.localenv import dashboard_services
from trove.localenv import external
from trove.localenv import isolation
from trove.localenv import keystone_runner
from trove.localenv import services
from trove.localenv import swift_runner

DEFAULT_PROJECT = 'demo'


def _parser():
    parser = argparse.ArgumentParser(prog='trove-local',
                                     description=__doc__.split('\n')[0])
    commands = parser.add_subparsers(dest='command', required=True)

    up = commands.add_parser('up', help='Start the control plane.')
    up.add_argument('--state-dir', required=True)
    up.add_argument('--api-port', type=int, default=8779)
    up.add_argument('--control-db',
                    help='Control database URL (default: SQLite in the '
                         'state directory).')
    up.add_argument('--transport-url',
                    help='RabbitMQ URL (default: a vhost of its own on the '
                         'local broker, created now, removed by down).')
    up.add_argument('--project', default=DEFAULT_PROJECT,
                    help='Project id written into openrc.')
    up.add_argument('--report-interval', type=int, default=10,
                    help='Seconds between guest heartbeats.')
    up.add_argument('--heartbeat-expiry', type=int, default=60,
                    help='Seconds without heartbeat before an instance '
                         'shows operating_status ERROR.')
    up.add_argument('--address-pool',
                    help='Loopback network of instance addresses (default: '
                         'a /16 of its own, 127.10.0.0/16 for the first '
                         'deployment on this machine).')
    up.add_argument('--taskmanagers', type=int, default=1, metavar='N',
                    help='Taskmanager processes (they share the work).')
    up.add_argument('--conductors', type=int, default=1, metavar='N',
                    help='Conductor processes (they share the reports).')
    up.add_argument('--extra-api-port', type=int, action='append',
                    default=[], metavar='PORT',
                    help='Run another trove-api of the same deployment on '
                         'PORT; repeatable.')
    up.add_argument('--keystone', action='store_true',
                    help='Run a real Keystone beside the services and '
                         'authenticate API requests with its tokens.')
    up.add_argument('--keystone-port', type=int, default=5000,
                    help='Port of Keystone on 127.0.0.1 (with --keystone).')
    up.add_argument('--horizon', action='store_true',
                    help='Run Horizon with trove-dashboard beside the '
                         'services (with --keystone; installed once into '
                         '~/.cache/trove-dev/horizon-venv).')
    up.add_argument('--swift', action='store_true',
                    help='Store backups in a real one-node Swift run beside '
                         'the services (default: a directory).')
    up.add_argument('--set', action='append', default=[], metavar='OPT=VAL',
                    help='Extra option for trove.conf, as "name=value" '
                         '([DEFAULT]) or "group.name=value"; repeatable.')

    demo = commands.add_parser(
        'demo', help='Provision the demo MariaDB instance and show how to '
                     'connect to it.')
    demo.add_argument('--state-dir', required=True)
    demo.add_argument('--project', default=DEFAULT_PROJECT)
    demo.add_argument('--password', default='demo-password',
                      help='Password of the demo database user.')

    for name, text in (('status', 'Show what runs.'),
                       ('down', 'Stop everything, instances included.')):
        sub = commands.add_parser(name, help=text)
        sub.add_argument('--state-dir', required=True)
    return parser


def _parse_options(pairs):
    options = []
    for pair in pairs:
        name, sep, value = pair.partition('=')
        if not sep or not name.strip():
            raise SystemExit('--set expects name=value, got %r' % pair)
        group, dot, key = name.strip().rpartition('.')
        options.append((group or 'DEFAULT', key, value.strip()))
    return options


def _configure_in_process(config):
    """Point this process's CONF at the state directory's config."""
    from trove.cmd import common
    common.setup(['--config-file', config.trove_conf], prog='trove-local')


def up(args):
    if args.horizon and not args.keystone:
        raise SystemExit('--horizon needs --keystone: the dashboard logs '
                         'users in with Keystone')
    _refuse_busy_api_port(args)
    transport_url, address_pool = _isolation(args)
    identity = None
    if args.keystone:
        identity = keystone_runner.start(
            os.path.join(os.path.abspath(args.state_dir), 'keystone'),
            args.keystone_port, args.api_port,
            *dashboard_services.catalog(args.state_dir, args.swift))
    storage = _backup_storage(args, identity)
    config = local_config.LocalConfig(
        args.state_dir, api_port=args.api_port, control_db=args.control_db,
        transport_url=transport_url,
        report_interval=args.report_interval,
        heartbeat_expiry=args.heartbeat_expiry,
        address_pool=address_pool, taskmanagers=args.taskmanagers,
        conductors=args.conductors, extra_api_ports=args.extra_api_port,
        extra_options=storage + _parse_options(args.set), identity=identity,
        guest_options=storage + _backup_options(_parse_options(args.set)))
    if identity is None and keystone_runner.stop(config.keystone_dir):
        print('stopped keystone (trove-local runs without it now)')
    previous = _written_auth_strategy(config)
    config.write()
    _configure_in_process(config)
    if config.guest_broker_users():
        try:
            isolation.restore_instance_users(config.instances_dir)
        except isolation.IsolationError as error:
            print('warning: broker users of the instances not restored: '
                  '%s' % error, file=sys.stderr)

    from trove.conf import CONF
    from trove.db import migration
    from trove.localenv import datastores
    migration.db_sync(CONF.database.connection)
    found = datastores.register_engines()
    datastores.create_default_flavors()
    if previous not in (None, config.auth_strategy):
        # A running API would keep authenticating the old way.
        for name in services.known(config):
            if services.kind_of(name) == 'trove-api':
                services.stop(config, name)
    # Converge on the asked shape: extra processes of an earlier up stop.
    for name in set(services.known(config)) - set(services.wanted(config)):
        services.stop(config, name)
    for name in services.wanted(config):
        services.start(config, name)
    services.wait_for_api(config)
    for number, port in enumerate(config.extra_api_ports, start=2):
        services.wait_for_api(config, name='trove-api-%d' % number,
                              url='http://%s:%d' % (config.api_host, port))
    horizon_url, stopped = dashboard_services.start(
        config.state_dir, config.trove_conf, identity, args.horizon)
    for name in stopped:
        print('stopped %s' % name)

    if identity is None:
        config.write_openrc(args.project)
        config.write_admin_openrc()
        print('trove-local is up: API %s (noauth, development only)'
              % config.api_url)
    else:
        openrcs = config.write_keystone_openrcs()
        print('trove-local is up: API %s, Keystone %s'
              % (config.api_url, identity.auth_url))
    for engine in found:
        print('  datastore %-11s version %-6s (%s)'
              % (engine.datastore, engine.version_name, engine.version))
    print('Use the clients with:  source %s' % config.openrc)
    if identity is None:
        print('  (%s for the admin: quotas, mgmt commands)'
              % config.admin_openrc)
    if identity is not None:
        print('  (user alice of project alpha; %s for bob of project beta, '
              '%s for the admin)' % (openrcs['bob'], openrcs['admin']))
    print('  openstack database instance list')
    print('  openstack datastore list')
    if horizon_url:
        alice = identity.users['alice']
        print('Horizon: %s  (log in as %s, password %s, domain Default)'
              % (horizon_url, alice.username, alice.password))
    return 0


def _refuse_busy_api_port(args):
    """Another server on an API port would share its connections with
    ours (SO_REUSEPORT): refuse, naming the port. Our own running APIs
    are fine (``up`` is idempotent)."""
    config = local_config.LocalConfig(args.state_dir)
    ours = set()
    if os.path.exists(config.trove_conf):
        written = local_config.LocalConfig.from_state_dir(args.state_dir)
        running = services.status(written)
        if running.get('trove-api'):
            ours.add(written.api_port)
        for number, port in enumerate(written.extra_api_ports, start=2):
            if running.get('trove-api-%d' % number):
                ours.add(port)
    for flag, port in [('--api-port', args.api_port)] + [
            ('--extra-api-port', p) for p in args.extra_api_port]:
        if port in ours:
            continue
        try:
            ports.ensure_free(config.api_host, port)
        except ports.PortInUse as error:
            raise RuntimeError('%s: choose another with %s' % (error, flag))


def _isolation(args):
    """(transport URL, address pool) of this deployment: its own vhost
    and loopback /16 unless given."""
    pool = isolation.address_pool(args.state_dir, args.address_pool)
    try:
        url = isolation.transport_url(args.state_dir, args.transport_url)
    except isolation.IsolationError as error:
        print('warning: no RabbitMQ vhost of its own for this deployment '
              '(%s); using the default vhost, which another deployment on '
              'this broker would share' % error, file=sys.stderr)
        url = None
    return url, pool


def _backup_storage(args, identity):
    """Options of the backup storage; starts or stops its Swift."""
    if args.swift:
        return swift_runner.start(args.state_dir, identity)
    if swift_runner.stop(args.state_dir):
        print('stopped swift (backups go to %s now)'
              % swift_runner.backup_dir(args.state_dir))
    return swift_runner.local_storage_options(args.state_dir)


def _backup_options(options):
    """The --set options about backups: guest agents need them too."""
    from trove.conf import backup as backup_conf
    names = {opt.name for opt in backup_conf.backup_opts}
    return [(group, name, value) for group, name, value in options
            if (group == 'DEFAULT' and name in names)
            or group == backup_conf.SWIFT_GROUP.name]


def _written_auth_strategy(config):
    """How the API of this state dir authenticated so far, or None."""
    if not os.path.exists(config.trove_conf):
        return None
    return local_config.LocalConfig.from_state_dir(
        config.state_dir).written_auth_strategy


def _config_for(args):
    config = local_config.LocalConfig(args.state_dir)
    if not os.path.exists(config.trove_conf):
        print('%s has no trove-local state' % args.state_dir,
              file=sys.stderr)
        return None
    return local_config.LocalConfig.from_state_dir(args.state_dir)


def status(args):
    config = _config_for(args)
    if config is None:
        return 1
    running = services.status(config)
    if os.path.isdir(config.keystone_dir):
        running['keystone'] = keystone_runner.running_pid(
            config.keystone_dir)
    running.update(dashboard_services.status(config.state_dir,
                                             config.keystone_dir))
    if os.path.isdir(swift_runner.swift_dir(config.state_dir)):
        pids = swift_runner.running_pids(config.state_dir)
        running['swift'] = pids[0] if pids else None
    for name, pid in running.items():
        print('%-18s %s' % (name, 'running (pid %d)' % pid if pid
                            else 'stopped'))
    return 0 if all(running.values()) else 3


def down(args):
    config = _config_for(args)
    if config is None:
        return 1
    for name, pid in dashboard_services.stop(config.state_dir):
        print('stopped %s (pid %d)' % (name, pid))
    for name, pid in services.stop_all(config):
        print('stopped %s (pid %d)' % (name, pid))
    from trove.compute.local import processes
    for server_dir in processes.instance_dirs(config.instances_dir):
        for pid in processes.stop_instance_processes(server_dir):
            print('stopped pid %d of server %s'
                  % (pid, os.path.basename(server_dir)))
    pid = keystone_runner.stop(config.keystone_dir)
    if pid:
        print('stopped keystone (pid %d)' % pid)
    for pid in swift_runner.stop(config.state_dir):
        print('stopped swift (pid %d)' % pid)
    try:
        vhost = isolation.remove_vhost(config.state_dir)
    except isolation.IsolationError as error:
        print('warning: %s' % error, file=sys.stderr)
    else:
        if vhost:
            print('removed RabbitMQ vhost %s' % vhost)
    return 0


def demo(args):
    from trove.localenv import demo as local_demo
    config = _config_for(args)
    if config is None:
        return 1
    if config.written_auth_strategy == 'keystone':
        print('demo needs the noauth API; with --keystone, source %s and '
              'use "openstack database instance create"' % config.openrc,
              file=sys.stderr)
        return 1
    endpoint = '%s/v1.0/%s' % (config.api_url, args.project)
    instance_id, created = local_demo.find_or_create(endpoint, args.password)
    print('%s demo instance %s; waiting until it is ACTIVE...'
          % ('Created' if created else 'Found', instance_id))
    instance = local_demo.wait_active(endpoint, instance_id)
    address = instance['ip'][0]
    print('Demo MariaDB instance %s is ACTIVE at %s:3306.'
          % (instance_id, address))
    print('Connect with:')
    print('  mysql -h %s -P 3306 -u %s -p%s %s'
          % (address, local_demo.DEMO_USER, args.password,
             local_demo.DEMO_DATABASE))
    return 0


def main(argv=None):
    args = _parser().parse_args(argv)
    handlers = {'up': up, 'status': status, 'down': down, 'demo': demo}
    from trove.localenv import demo as local_demo
    try:
        return handlers[args.command](args)
    except (RuntimeError, local_demo.DemoError, isolation.IsolationError,
            external.ExternalServiceError, external.HttpError) as error:
        print('error: %s' % error, file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
