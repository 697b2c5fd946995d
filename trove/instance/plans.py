"""Dry-run plans of disruptive actions: what would happen, changing nothing.

``"dry_run": true`` in the body of a resize, restart or promote action,
or of a PUT/PATCH attaching a configuration group or upgrading the
datastore version, answers 200 with a
plan instead of acting: the changes, which members restart, whether a
switchover happens, the downtime to expect (the median of the measured
durations of the same work in this deployment's event logs) and the
preconditions, each with whether it holds now. Nothing is written: no
task, no work, no quota, no event.
"""

import statistics

from trove.common import exception
from trove.conf import CONF
from trove.configuration import instances as configuration_instances
from trove.configuration import rules as parameter_rules
from trove.flavor import models as flavor_models
from trove.instance import actions
from trove.instance import create as instance_create
from trove.instance import replication
from trove.instance import upgrade as version_upgrade
from trove.records import events


def is_dry_run(data):
    return isinstance(data, dict) and data.get('dry_run') is True


def _check(name, check):
    """A precondition: ``check()`` raising a TroveError means it fails."""
    try:
        check()
    except exception.TroveError as error:
        return {'name': name, 'ok': False, 'message': str(error)}
    return {'name': name, 'ok': True, 'message': None}


def _downtime(context, flow):
    measured = events.measured_seconds(context, flow)
    if not measured:
        return None, ('not measured yet: %s has not run in this '
                      'deployment' % events.FLOW_NAMES[flow])
    return (round(statistics.median(measured), 1),
            'median of the last %d measured runs of %s' % (
                len(measured), events.FLOW_NAMES[flow]))


def _member(instance, what):
    return {'id': instance.id, 'name': instance.name, 'restarts': what}


def _plan(context, action, instance, preconditions, changes, restarts,
          flow=None, switchover=False):
    downtime, basis = _downtime(context, flow) if flow and restarts \
        else (0.0 if not restarts else None, 'nothing restarts')
    return {'plan': {
        'action': action, 'instance_id': instance.id, 'dry_run': True,
        'would_proceed': all(p['ok'] for p in preconditions),
        'preconditions': preconditions, 'changes': changes,
        'restarts': restarts, 'switchover': switchover,
        'expected_downtime_s': downtime, 'downtime_basis': basis}}


def restart(context, instance):
    return _plan(
        context, 'restart', instance,
        [_check('instance can act',
                lambda: actions.validate_can_perform_action(instance))],
        {}, [_member(instance, 'the database engine')], flow='restart')


def resize_flavor(context, instance, flavor_ref):
    new = flavor_models.get_flavor(
        context, instance_create.flavor_id_from_ref(flavor_ref))
    old = flavor_models.get_flavor(context, instance.row.flavor_id)

    def differs():
        if new.id == old.id:
            raise exception.CannotResizeToSameSize()
    return _plan(
        context, 'resize', instance,
        [_check('another flavor', differs),
         _check('instance can act',
                lambda: actions.validate_can_perform_action(instance))],
        {'flavor': {'from': {'id': old.id, 'ram': old.ram},
                    'to': {'id': new.id, 'ram': new.ram}}},
        [_member(instance, 'the server and the database engine')],
        flow='resize_flavor')


def resize_volume(context, instance, new_size):
    current = instance.row.volume_size

    def larger():
        if current is None:
            raise exception.BadRequest('The instance has no volume.')
        if int(new_size) <= current:
            raise exception.BadRequest(
                'The new volume size (%s GB) must be larger than the '
                'current one (%d GB).' % (new_size, current))
        if int(new_size) > CONF.max_accepted_volume_size:
            raise exception.VolumeQuotaExceeded(
                size=new_size, max_size=CONF.max_accepted_volume_size)
    return _plan(
        context, 'resize', instance,
        [_check('a larger volume', larger),
         _check('instance can act',
                lambda: actions.validate_can_perform_action(instance))],
        {'volume': {'from': current, 'to': new_size}}, [])


def promote(context, instance):
    def is_replica():
        if not instance.row.slave_of_id:
            raise exception.BadRequest('Instance %s is not a replica.'
                                       % instance.id)
    checks = [_check('a replica', is_replica)]
    restarts = []
    if instance.row.slave_of_id:
        members = replication.members_of(context, instance.row.slave_of_id)
        for member in members:
            checks.append(_check(
                'member %s can act' % member.id,
                lambda member=member:
                    actions.validate_can_perform_action(member)))
            restarts.append(_member(
                member, 'replication: becomes the source' if
                member.id == instance.id else 'replication: follows %s'
                % instance.id))
    return _plan(context, 'promote_to_replica_source', instance, checks,
                 {'replica_source': {'from': instance.row.slave_of_id,
                                     'to': instance.id}},
                 restarts, flow='promote', switchover=True)


def attach_configuration(context, instance, configuration_id):
    group = configuration_instances.group_for_instance(
        context, configuration_id, instance.tenant_id,
        instance.row.datastore_version_id)
    rules = parameter_rules.load_rules(context, group.datastore_version_id)
    values = configuration_instances.overrides_of(group, rules)
    restart = parameter_rules.restart_required(rules, values)

    def not_attached():
        if instance.row.configuration_id:
            raise exception.ConfigurationAlreadyAttached(
                instance_id=instance.id,
                configuration_id=instance.row.configuration_id)
    return _plan(
        context, 'attach_configuration', instance,
        [_check('no group attached', not_attached),
         _check('engine running',
                lambda: configuration_instances.check_state(instance))],
        {'configuration': {'from': instance.row.configuration_id,
                           'to': group.id},
         'values': values, 'live': sorted(set(values) - set(restart)),
         'restart_required': sorted(restart)},
        [])


def upgrade(context, instance, reference):
    """The engine restarts on the new version's binaries, data kept."""
    current = instance.datastore_version
    target = {}

    def newer_version():
        wanted = version_upgrade.target_version(context, instance, reference)
        target.update(id=wanted.id, name=wanted.name,
                      version=wanted.version)
    preconditions = [
        _check('a newer version of the datastore', newer_version),
        _check('instance can act',
               lambda: actions.validate_can_perform_action(instance))]
    return _plan(
        context, 'upgrade', instance, preconditions,
        {'datastore_version': {
            'from': {'id': current.id, 'name': current.name,
                     'version': current.version},
            'to': target or {'name': reference}}},
        [_member(instance, 'the database engine, on the new version')],
        flow='upgrade')
