"""Creating an instance: checks, quota, rows, and the taskmanager cast.

Everything a user can get wrong is refused here with a 4xx before any row
exists; the rows and the quota reservation are undone if the taskmanager
cannot be reached, so a failed create leaves nothing behind.
"""

import json

from oslo_log import log as logging

from trove import compute
from trove.backup import restore as backup_restore
from trove.common import exception, states, utils
from trove.common import sealed_messages
from trove.compute import base as compute_base
from trove.conf import CONF
from trove.configuration import instances as configuration_instances
from trove.datastore import constraints as datastore_constraints
from trove.datastore import models as datastore_models
from trove.db import api as db_api
from trove.db import models as db_models
from trove.extensions.common import guest_models
from trove.flavor import models as flavor_models
from trove.instance import models
from trove.instance import pitr
from trove.instance import replication
from trove.instance import tls as instance_tls
from trove.module import instance_modules
from trove.quota import quota
from trove.records import pitr_index
from trove.records import service_status
from trove.records import work_claims as claims
from trove.taskmanager import api as taskmanager_api

LOG = logging.getLogger(__name__)


def flavor_id_from_ref(flavor_ref):
    """A flavorRef is an id or a link ending with one."""
    return str(flavor_ref).rstrip('/').rsplit('/', 1)[-1]


def volume_size_of(manager, volume):
    """The GB a create's ``volume`` asks for (None without volume
    support); 400/413/501 for what cannot be given."""
    manager_conf = CONF.get(manager) if manager in CONF else None
    volume_support = manager_conf.volume_support if manager_conf else True
    if not volume_support:
        if volume:
            raise exception.VolumeNotSupported()
        return None
    if not volume or volume.get('size') is None:
        raise exception.BadRequest('Volume size was not specified.')
    size = int(volume['size'])
    if size > CONF.max_accepted_volume_size:
        raise exception.VolumeQuotaExceeded(
            size=size, max_size=CONF.max_accepted_volume_size)
    return size


def check_region(region_name):
    """Upstream accepts ``region_name`` and builds in that region. One
    deployment here serves its own region only: naming it is accepted,
    naming another is a feature this service lacks (501)."""
    own = CONF.service_credentials.region_name
    if region_name is not None and region_name != own:
        raise exception.NotImplementedForDatastore(
            'Creating instances in region %s is not implemented: this '
            'deployment serves region %s only.' % (region_name, own))


def create(context, body):
    """Create an instance from a validated ``{"instance": {...}}`` body;
    returns (Instance, root_password or None)."""
    data = body['instance']
    check_region(data.get('region_name'))
    if data.get('replica_of'):
        return replication.create(context, data), None
    if data.get('replica_count') not in (None, 1):
        raise exception.BadRequest(
            'replica_count can only be given with replica_of.')

    restore = point = None
    restore_point = data.get('restorePoint')
    if restore_point and restore_point.get('restoreTime') is not None:
        point = pitr.resolve(context, restore_point)
        restore = backup_restore.restore_point(context, point.backup.id)
    elif restore_point:
        restore = backup_restore.restore_point(
            context, restore_point['backupRef'])
    datastore = data.get('datastore') or (
        backup_restore.default_datastore(restore) if restore else {})
    version = datastore_models.resolve(context, datastore.get('type'),
                                       datastore.get('version'),
                                       datastore.get('version_number'))
    manager = version.manager
    # The controller reads "configuration"; the schema names it
    # "configuration_id" (reference quirk 15): either attaches a group.
    configuration_id = data.get('configuration') or data.get(
        'configuration_id')
    if configuration_id:
        # The checks only: the taskmanager reads the values when it builds.
        configuration_instances.overrides_for_create(
            context, configuration_id, version)
    if 'flavorRef' not in data:
        raise exception.BadRequest('flavorRef is required.')
    flavor = flavor_models.get_flavor(context,
                                      flavor_id_from_ref(data['flavorRef']))
    volume_size = volume_size_of(manager, data.get('volume'))
    datastore_constraints.check(context, version, flavor.id,
                                (data.get('volume') or {}).get('type'))
    if restore is not None:
        # Before any row exists: a bad backup builds nothing.
        backup_restore.check(context, restore, version, volume_size)
    modules = instance_modules.check(context, version, data.get('modules'))
    ssl_mode = instance_tls.mode_for_create(manager, data.get('ssl'))
    databases = guest_models.databases_for_create(
        manager, data.get('databases') or [])
    users = guest_models.users_for_create(manager, data.get('users') or [],
                                          databases)
    root_password = None
    if manager in CONF and CONF.get(manager).root_on_create:
        root_password = utils.generate_password(
            CONF.get(manager).default_password_length)

    facts = provider_facts(data, flavor, manager, volume_size)
    work_args = {'databases': databases,
                 'backup_id': restore.id if restore is not None else None,
                 'has_secrets': bool(users or root_password)}
    if point is not None:
        work_args['pitr'] = point.work_args()
    deltas = {'instances': 1, 'ram': flavor.ram, 'volumes': volume_size or 0}
    with quota.reserved(context, context.project_id, deltas):
        instance_id = _create_rows(context, data, version, flavor,
                                   volume_size, configuration_id, facts,
                                   work_args, modules, point, ssl_mode)
        try:
            # Only ids and secrets travel: the taskmanager reads the rest
            # from the rows just written.
            taskmanager_api.API(context).create_instance(
                instance_id, users=users, root_password=root_password)
        except Exception as error:
            LOG.exception('Could not ask the taskmanager to build %s',
                          instance_id)
            _delete_rows(context, instance_id)
            raise exception.ServiceUnavailable(
                reason='the taskmanager cannot be reached (%s)' % error)
    LOG.info('Instance %s (%s %s, flavor %s%s) requested by project %s',
             instance_id, manager, version.name, flavor.id,
             ', from backup %s' % restore.id if restore is not None else '',
             context.project_id)
    return models.load(context, instance_id), root_password


def provider_facts(data, flavor, manager, volume_size):
    """The create's placement facts, refused (400) before any row exists
    if the provider cannot honour them."""
    nics = data.get('nics') or []
    facts = {'availability_zone': data.get('availability_zone'),
             'volume_type': (data.get('volume') or {}).get('type'),
             'nics': nics, 'locality': data.get('locality')}
    compute.get_provider().validate(
        compute_base.ServerSpec(
            instance_id='', name=data['name'], flavor=flavor.to_dict(),
            datastore_manager=manager,
            availability_zone=facts['availability_zone'], nics=nics,
            locality=facts['locality'], access=data.get('access')),
        compute_base.VolumeSpec(instance_id='', size=volume_size,
                                volume_type=facts['volume_type'])
        if volume_size else None)
    return facts


def _create_rows(context, data, version, flavor, volume_size,
                 configuration_id, facts, work_args, modules=(),
                 point=None, ssl_mode=None):
    """The instance, its service status and its ``create`` work, in one
    transaction."""
    now = db_models.utcnow()
    access = data.get('access')
    with db_api.writer(context) as session:
        row = db_models.Instance(
            name=data['name'],
            tenant_id=context.project_id,
            flavor_id=flavor.id,
            volume_size=volume_size,
            datastore_version_id=version.id,
            task_id=states.InstanceTasks.BUILDING.code,
            task_description=states.InstanceTasks.BUILDING.db_text,
            task_start_time=now,
            server_status=states.ServerStatus.BUILD,
            region_id=CONF.service_credentials.region_name,
            access=json.dumps(access) if access is not None else None,
            configuration_id=configuration_id,
            availability_zone=facts['availability_zone'],
            volume_type=facts['volume_type'],
            nics=json.dumps(facts['nics']) if facts['nics'] else None,
            locality=facts['locality'],
            ssl_mode=ssl_mode,
            # The key the guest seals its messages with, encrypted at
            # rest; only its own guest_info.conf gets it in clear.
            encrypted_key=sealed_messages.encrypt_instance_key(
                sealed_messages.new_instance_key()),
            created=now, updated=now,
        )
        session.add(row)
        session.flush()
        service_status.create(session, row.id)
        # The create flow sends them (decrypted) with prepare.
        instance_modules.record_in(session, row.id, modules)
        claims.submit(session, row.id, 'instance', 'create', args=work_args,
                      request_id=getattr(context, 'request_id', None))
        if point is not None:
            pitr_index.create_restore(session, row.id,
                                      point.source_instance_id,
                                      point.backup.id, point.target)
        return row.id


def _delete_rows(context, instance_id):
    with db_api.writer(context) as session:
        session.query(db_models.WorkClaim).filter_by(
            resource_id=instance_id).delete()
        session.query(db_models.PitrRestore).filter_by(
            instance_id=instance_id).delete()
        session.query(db_models.ServiceStatusRecord).filter_by(
            instance_id=instance_id).delete()
        session.query(db_models.Instance).filter_by(
            id=instance_id).delete()
