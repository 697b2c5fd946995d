"""trove-manage: operator commands on the control database.

    trove-manage --config-file trove.conf db_sync
    trove-manage datastore_update mariadb ""
    trove-manage datastore_version_update mariadb 10.11 mariadb "" "" 1
    trove-manage datastore_update mariadb 10.11
    trove-manage db_load_datastore_config_parameters mariadb 10.11 rules.json
    trove-manage flavor_create small 1024 1 5 [--id 2]
    trove-manage flavor_list
    trove-manage flavor_delete 2
    trove-manage volume_type_create fast [--description "SSD directory"]
    trove-manage volume_type_list
    trove-manage volume_type_delete fast
"""

import json
import sys

from oslo_config import cfg
from oslo_db import exception as db_exception

from trove.cmd import common
from trove.common import context as trove_context
from trove.common import exception
from trove.compute.local import choices as local_choices
from trove.compute.local import flavors as local_flavors
from trove.compute.local import volume_types as local_volume_types
from trove.conf import CONF
from trove.datastore import models as datastore_models
from trove.datastore import constraints
from trove.datastore import parameters as datastore_parameters
from trove.db import migration


def _admin():
    return trove_context.get_admin_context()


def db_sync():
    migration.db_sync(CONF.database.connection)
    print('Control database is at revision %s.' % migration.head_revision())


def datastore_update():
    args = CONF.command
    datastore_models.update_datastore(_admin(), args.datastore_name,
                                      args.default_version)
    print('Datastore \'%s\' updated.' % args.datastore_name)


def datastore_version_update():
    args = CONF.command
    image_tags = [t for t in (args.image_tags or '').split(',') if t]
    datastore_models.update_version(
        _admin(), args.datastore, args.version_name, args.manager,
        args.image_id, args.packages, _flag(args.active),
        image_tags=image_tags, registry_ext=args.registry_ext,
        repl_strategy=args.repl_strategy, version=args.version)
    print('Datastore version \'%s\' updated.' % args.version_name)


def _flag(value):
    return str(value).lower() in ('1', 'true', 'yes', 'on')


def db_load_datastore_config_parameters():
    args = CONF.command
    context = _admin()
    datastore, _versions = datastore_models.get_datastore(
        context, args.datastore)
    version = datastore_models.get_version(
        context, datastore, args.datastore_version_name, args.version)
    with open(args.config_file_location) as rules_file:
        rules = json.load(rules_file)
    count = datastore_parameters.load_parameters(context, version.id, rules)
    print('Loaded %d configuration parameters for %s %s.'
          % (count, datastore.name, version.name))


def _version_of(args):
    context = _admin()
    datastore, _versions = datastore_models.get_datastore(context,
                                                          args.datastore)
    return datastore_models.get_version(context, datastore,
                                        args.version_name)


def _constraint_command(key, remove=False):
    def run():
        args = CONF.command
        version = _version_of(args)
        if remove:
            constraints.remove(_admin(), version.id, key, args.value)
            print('Removed %s %s from %s %s.' % (key, args.value,
                                                 args.datastore,
                                                 version.name))
        else:
            values = [v for v in args.values.split(',') if v]
            constraints.add(_admin(), version.id, key, values)
            print('%s %s may use %s %s.' % (args.datastore, version.name,
                                            key.replace('_', ' '),
                                            ', '.join(values)))
    return run


def _constraint_list(key):
    def run():
        args = CONF.command
        version = _version_of(args)
        allowed = constraints.allowed(_admin(), version.id, key)
        print('\n'.join(sorted(allowed)) if allowed else
              '(any: %s %s is not restricted)' % (args.datastore,
                                                  version.name))
    return run


def flavor_create():
    args = CONF.command
    flavor = local_flavors.LocalFlavors().create(
        _admin(), args.flavor_name, args.ram, args.vcpus, args.disk,
        ephemeral=args.ephemeral, flavor_id=args.id)
    print('Flavor %s (%s) created.' % (flavor.id, flavor.name))


def flavor_list():
    flavors = local_flavors.LocalFlavors().list(_admin())
    print('%-8s %-20s %8s %6s %8s %10s' % ('ID', 'Name', 'RAM', 'VCPUs',
                                           'Disk', 'Ephemeral'))
    for f in flavors:
        print('%-8s %-20s %8d %6d %8d %10d' % (f.id, f.name, f.ram, f.vcpus,
                                               f.disk, f.ephemeral))


def flavor_delete():
    local_flavors.LocalFlavors().delete(_admin(), CONF.command.id)
    print('Flavor %s deleted.' % CONF.command.id)


def volume_type_create():
    args = CONF.command
    row = local_volume_types.create(_admin(), args.type_name,
                                    description=args.description)
    print('Volume type %s (%s) created.' % (row.id, row.name))


def volume_type_list():
    # Every type the local provider offers: the option's and the
    # defined ones (only the latter can be deleted here).
    defined = {row.name for row in local_volume_types.stored(_admin())}
    print('%-36s %-20s %-8s %s' % ('ID', 'Name', 'Source', 'Description'))
    for t in local_choices.volume_types(_admin()):
        print('%-36s %-20s %-8s %s' % (
            t.id, t.name, 'defined' if t.name in defined else 'option',
            t.description))


def volume_type_delete():
    name = local_volume_types.delete(_admin(), CONF.command.type)
    print('Volume type %s deleted.' % name)


def _add_parsers(subparsers):
    parser = subparsers.add_parser('db_sync', help='Migrate the schema.')
    parser.set_defaults(func=db_sync)

    parser = subparsers.add_parser(
        'datastore_update', help='Create or update a datastore.')
    parser.add_argument('datastore_name')
    parser.add_argument('default_version',
                        help='Name of the default version ("" for none).')
    parser.set_defaults(func=datastore_update)

    parser = subparsers.add_parser(
        'datastore_version_update',
        help='Create or update a datastore version.')
    for name in ('datastore', 'version_name', 'manager', 'image_id',
                 'packages', 'active'):
        parser.add_argument(name)
    parser.add_argument('--image-tags', dest='image_tags',
                        help='Comma separated image tags.')
    parser.add_argument('--registry-ext', dest='registry_ext',
                        help='Guest manager class.')
    parser.add_argument('--repl-strategy', dest='repl_strategy',
                        help='Replication strategy class.')
    parser.add_argument('--version', help='Version number (defaults to '
                                          'the version name).')
    parser.set_defaults(func=datastore_version_update)

    parser = subparsers.add_parser(
        'db_load_datastore_config_parameters',
        help='Load the configuration parameter rules of a version.')
    parser.add_argument('datastore')
    parser.add_argument('datastore_version_name')
    parser.add_argument('config_file_location')
    parser.add_argument('--version', help='Version number, when several '
                                          'versions share the name.')
    parser.set_defaults(func=db_load_datastore_config_parameters)

    for key, what in ((constraints.FLAVOR, 'flavor'),
                      (constraints.VOLUME_TYPE, 'volume_type')):
        parser = subparsers.add_parser(
            'datastore_version_%s_add' % what,
            help='Restrict a datastore version to these %ss.' % what)
        parser.add_argument('datastore')
        parser.add_argument('version_name')
        parser.add_argument('values', help='Comma separated %s ids or '
                                           'names.' % what)
        parser.set_defaults(func=_constraint_command(key))
        parser = subparsers.add_parser(
            'datastore_version_%s_delete' % what,
            help='Lift the restriction to one %s.' % what)
        parser.add_argument('datastore')
        parser.add_argument('version_name')
        parser.add_argument('value')
        parser.set_defaults(func=_constraint_command(key, remove=True))
        parser = subparsers.add_parser(
            'datastore_version_%s_list' % what,
            help='The %ss a datastore version is restricted to.' % what)
        parser.add_argument('datastore')
        parser.add_argument('version_name')
        parser.set_defaults(func=_constraint_list(key))

    parser = subparsers.add_parser('flavor_create',
                                   help='Create a local flavor.')
    # "name" would clash with the subcommand's own name attribute.
    parser.add_argument('flavor_name', metavar='name')
    parser.add_argument('ram', type=int, help='RAM in MB.')
    parser.add_argument('vcpus', type=int)
    parser.add_argument('disk', type=int, help='Disk in GB.')
    parser.add_argument('--id', help='Flavor id (default: next number).')
    parser.add_argument('--ephemeral', type=int, default=0,
                        help='Ephemeral disk in GB.')
    parser.set_defaults(func=flavor_create)

    parser = subparsers.add_parser('flavor_list', help='List local flavors.')
    parser.set_defaults(func=flavor_list)

    parser = subparsers.add_parser('flavor_delete',
                                   help='Delete a local flavor.')
    parser.add_argument('id')
    parser.set_defaults(func=flavor_delete)

    parser = subparsers.add_parser(
        'volume_type_create', help='Define a local volume type.')
    parser.add_argument('type_name', metavar='name')
    parser.add_argument('--description')
    parser.set_defaults(func=volume_type_create)

    parser = subparsers.add_parser(
        'volume_type_list', help='List the local volume types.')
    parser.set_defaults(func=volume_type_list)

    parser = subparsers.add_parser(
        'volume_type_delete', help='Delete a defined local volume type.')
    parser.add_argument('type', help='Name or id.')
    parser.set_defaults(func=volume_type_delete)


command_opt = cfg.SubCommandOpt('command', title='Commands',
                                help='Available commands',
                                handler=_add_parsers)


def main(argv=None):
    CONF.register_cli_opt(command_opt)
    common.setup(argv, prog='trove-manage')
    try:
        CONF.command.func()
    except (exception.TroveError, FileNotFoundError, ValueError) as error:
        print('error: %s' % error, file=sys.stderr)
        return 1
    except db_exception.DBDuplicateEntry as error:
        print('error: an entry with the same %s already exists.'
              % ', '.join(error.columns), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
