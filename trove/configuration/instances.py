"""Applying configuration groups to instances through their guest agents.

Attach and detach run in the API request, as upstream does: the guest
writes the overrides file (``update_overrides``) and applies what it can
at once (``apply_overrides``: SET GLOBAL / reload), answering which
parameters only take effect at a restart and which values the engine
refused (it then keeps its previous configuration). The user sees the
outcome at once: a refused value is a 422 naming the parameter; a
pending restart shows as task and service status RESTART_REQUIRED until
the instance is restarted. Every call to a guest ends within
``configuration_apply_timeout``.

When a group changes (PATCH, PUT), the API applies it the same way to
every attached instance before it answers (``apply_to_attached``), so the
change is in place when the call returns: dynamic values live,
restart-only ones written for the next start with the instance shown
RESTART_REQUIRED. An instance that is not running or whose guest does not
answer in time does not hold the request up: it gets a fault saying the
change was not applied and that a restart applies it -- a restart first
writes the attached group's current values (``apply_before_restart``).
A value the engine refuses becomes that instance's fault, and the
instance keeps its previous configuration.
"""

from concurrent import futures
import contextlib
import math
import time

from oslo_log import log as logging
import sqlalchemy as sa

from trove.common import context as trove_context
from trove.common import exception
from trove.common import states
from trove.conf import CONF
from trove.configuration import models
from trove.configuration import rules as parameter_rules
from trove.db import api as db_api
from trove.db import models as db_models
from trove.guestagent import api as guest_api
from trove.records import events
from trove.records import faults
from trove.records import service_status

LOG = logging.getLogger(__name__)

Row = db_models.Instance
Tasks = states.InstanceTasks
# Tasks during which a configuration may be applied.
SETTLED_TASKS = (Tasks.NONE, Tasks.RESTART_REQUIRED)
ENGINE_UP_STATUSES = states.DATASTORE_RUNNING_STATUSES | frozenset(
    [states.ServiceStatuses.RESTART_REQUIRED])


class ConfigurationRefused(exception.UnprocessableEntity):
    message = 'The datastore refused the configuration: %(reasons)s'


def overrides_of(group, rules):
    """The typed values of a group, as guest agents take them."""
    return parameter_rules.typed_values(rules, group.values)


def group_for_instance(context, configuration_id, tenant_id, version_id):
    """The group an instance of ``tenant_id`` running ``version_id`` may
    use: 404 if it is not the project's, 400 for another version."""
    group = models.load(context, configuration_id)
    if group.tenant_id != tenant_id:
        raise exception.ConfigurationNotFound(uuid=configuration_id)
    if group.datastore_version_id != version_id:
        raise exception.BadRequest(
            'Configuration group %s is for datastore %s; the instance runs '
            'another datastore version.' % (group.id, group.datastore_label))
    return group


def check_state(instance):
    """400 unless the server runs and no task but a pending restart is
    under way; 422 unless the engine answers."""
    if instance.server_status != states.ServerStatus.ACTIVE or \
            instance.task not in SETTLED_TASKS:
        raise exception.InvalidInstanceState(instance_id=instance.id)
    if instance.service_status not in ENGINE_UP_STATUSES:
        raise exception.DatastoreNotRunning(
            instance_id=instance.id,
            status=instance.service_status.api_status)


def attach(context, instance, configuration_id):
    if instance.row.configuration_id:
        raise exception.ConfigurationAlreadyAttached(
            instance_id=instance.id,
            configuration_id=instance.row.configuration_id)
    group = group_for_instance(context, configuration_id, instance.tenant_id,
                               instance.row.datastore_version_id)
    check_state(instance)
    rules = parameter_rules.load_rules(context, group.datastore_version_id)
    with _fault_if_silent(context, instance.id, 'attached', group.id):
        restart = apply(context, instance.id, overrides_of(group, rules),
                        rules)
    record_outcome(context, instance.id, restart,
                   configuration_id=group.id)
    LOG.info('Configuration %s attached to %s (restart needed for: %s)',
             group.id, instance.id, ', '.join(restart) or 'nothing')
    _log_change(context, instance.id, 'Configuration group %s ("%s") '
                'attached' % (group.id, group.name), restart)


def detach(context, instance):
    """Back to the defaults; nothing to do when no group is attached."""
    if not instance.row.configuration_id:
        return
    check_state(instance)
    with _fault_if_silent(context, instance.id, 'detached',
                          instance.row.configuration_id):
        restart = apply(context, instance.id, {}, {})
    record_outcome(context, instance.id, restart, configuration_id=None)
    LOG.info('Configuration %s detached from %s (restart needed for: %s)',
             instance.row.configuration_id, instance.id,
             ', '.join(restart) or 'nothing')
    _log_change(context, instance.id, 'Configuration group %s detached; '
                'the defaults apply' % instance.row.configuration_id,
                restart)


@contextlib.contextmanager
def _fault_if_silent(context, instance_id, what, configuration_id):
    """A guest that did not answer in time fails the attach or detach
    (504) and leaves a fault on the instance saying so and what to do:
    nothing was recorded, so the same call is to be made again once the
    agent reports (a restart of the instance brings a hung agent back).
    A call that works clears the fault an earlier one left."""
    started = db_models.utcnow()
    try:
        yield
    except exception.GuestTimeout:
        message = ('Configuration group %s was not %s: the guest agent '
                   'did not answer within %d seconds. Nothing was changed; '
                   '%s it again once the instance is HEALTHY (a restart of '
                   'the instance restarts its agent).'
                   % (configuration_id, what,
                      CONF.configuration_apply_timeout,
                      'attach' if what == 'attached' else 'detach'))
        LOG.warning('Instance %s: %s', instance_id, message)
        faults.save_fault(context, instance_id, message, '')
        raise
    faults.clear_fault(context, instance_id, recorded_before=started)


def _log_change(context, instance_id, what, restart):
    """The event of a configuration change, saying what is pending."""
    events.record(context, instance_id, events.CONFIGURATION, '%s. %s' % (
        what, 'Restart the instance to apply %s.' % ', '.join(restart)
        if restart else 'Every value is live.'))


def apply(context, instance_id, overrides, rules):
    """Have the guest write and apply ``overrides``; the names that need
    a restart. ConfigurationRefused (422) if the engine refused a value
    (the guest then kept its previous configuration); GuestTimeout if the
    guest did not do both within configuration_apply_timeout."""
    guest = guest_api.API(context, instance_id)
    deadline = time.monotonic() + CONF.configuration_apply_timeout

    def remaining():
        left = math.ceil(deadline - time.monotonic())
        if left <= 0:
            raise exception.GuestTimeout(
                instance_id=instance_id,
                timeout=CONF.configuration_apply_timeout)
        return left

    guest.update_overrides(overrides, remove=not overrides,
                           timeout=remaining())
    result = guest.apply_overrides(overrides, timeout=remaining())
    if not isinstance(result, dict):
        # An agent that does not report: trust the rules.
        return parameter_rules.restart_required(rules, overrides)
    refused = result.get('rejected') or {}
    if refused:
        raise ConfigurationRefused(reasons='; '.join(
            '%s: %s' % (name, refused[name]) for name in sorted(refused)))
    return sorted(result.get('restart_required') or [])


def record_outcome(context, instance_id, restart, **values):
    """Store the attachment (``configuration_id`` in ``values``) and
    whether a restart is pending: task and service status
    RESTART_REQUIRED, or back to normal when nothing is pending any more.
    """
    now = db_models.utcnow()
    settled = [t.code for t in SETTLED_TASKS]
    with db_api.writer(context) as session:
        if values:
            session.execute(sa.update(Row).where(
                Row.id == instance_id).values(updated=now, **values))
        if restart:
            task = Tasks.RESTART_REQUIRED
            changed = session.execute(sa.update(Row).where(
                Row.id == instance_id, Row.task_id.in_(settled)).values(
                task_id=task.code, task_description=task.db_text,
                task_start_time=now)).rowcount
        else:
            task = Tasks.NONE
            changed = session.execute(sa.update(Row).where(
                Row.id == instance_id,
                Row.task_id == Tasks.RESTART_REQUIRED.code).values(
                task_id=task.code, task_description=task.db_text)).rowcount
    if restart and changed:
        service_status.set_status(context, instance_id,
                                  states.ServiceStatuses.RESTART_REQUIRED)
    elif changed:
        # The guest just applied the configuration: its engine answers.
        service_status.set_status(context, instance_id,
                                  states.ServiceStatuses.HEALTHY)


def record_restarted(context, instance_id):
    """After a successful restart of the engine: a pending
    RESTART_REQUIRED is over (heartbeats keep it, see service_status)."""
    status, _updated = service_status.get(context, instance_id)
    if status in (states.ServiceStatuses.RESTART_REQUIRED,
                  states.ServiceStatuses.RESTARTING):
        service_status.set_status(context, instance_id,
                                  states.ServiceStatuses.HEALTHY)


# A changed group -----------------------------------------------------------
# Rounds of applying a changed group to one instance: a change of the
# group made while one is being applied is applied in a further round.
MAX_ROUNDS = 3
# Instances a change is applied to at the same time.
MAX_PARALLEL = 8


def apply_to_attached(context, configuration_id):
    """PATCH/PUT of a group: bring every attached instance to the group's
    current values before the request answers, in parallel. Each outcome
    (a pending restart, a fault) is recorded on its instance; none fails
    the request, which changed the group in any case."""
    instance_ids = models.attached_instance_ids(context, configuration_id)
    if len(instance_ids) <= 1:
        for instance_id in instance_ids:
            reapply(context, instance_id, configuration_id)
        return
    apply_one = trove_context.bound_to_current(reapply)
    with futures.ThreadPoolExecutor(
            min(len(instance_ids), MAX_PARALLEL),
            thread_name_prefix='configuration-apply') as pool:
        list(pool.map(lambda instance_id: apply_one(
            context, instance_id, configuration_id), instance_ids))


def reapply(context, instance_id, configuration_id):
    """Bring one attached instance to the group's current values (also
    the taskmanager's ``update_configuration``); what keeps that from
    happening becomes the instance's fault."""
    applied = None
    for _round in range(MAX_ROUNDS):
        try:
            group = models.load(context, configuration_id)
        except exception.ConfigurationNotFound:
            return
        if group.values == applied:
            return
        if not _apply_group(context, instance_id, group):
            return
        applied = group.values


def _live_row(context, instance_id):
    """The instance's row, or None if it is gone. Read here rather than
    through trove.instance, so the taskmanager can apply groups too."""
    with db_api.reader(context) as session:
        row = session.get(Row, instance_id)
        return None if row is None or row.deleted else row


def check_row_state(context, row):
    """``check_state`` on an instance row (the service status read with
    its heartbeat expiry, as the API's Instance does)."""
    task = Tasks.from_code(row.task_id) if row.task_id else Tasks.NONE
    if row.server_status != states.ServerStatus.ACTIVE or \
            task not in SETTLED_TASKS:
        raise exception.InvalidInstanceState(instance_id=row.id)
    status, updated = service_status.get(context, row.id)
    status = states.effective_service_status(
        task, status, updated, db_models.utcnow(),
        CONF.agent_heartbeat_expiry)
    if status not in ENGINE_UP_STATUSES:
        raise exception.DatastoreNotRunning(
            instance_id=row.id,
            status=status.api_status if status else 'unknown')


def _apply_group(context, instance_id, group):
    """Whether the instance took the values of ``group``."""
    row = _live_row(context, instance_id)
    if row is None:
        return False
    if row.configuration_id != group.id:
        LOG.info('Instance %s no longer uses configuration %s',
                 instance_id, group.id)
        return False
    try:
        check_row_state(context, row)
        rules = parameter_rules.load_rules(context,
                                           group.datastore_version_id)
        restart = apply(context, instance_id, overrides_of(group, rules),
                        rules)
    except exception.TroveError as error:
        _record_not_applied(context, instance_id, group.id, error)
        return False
    except Exception as error:
        LOG.exception('Applying configuration %s to %s failed',
                      group.id, instance_id)
        _record_not_applied(context, instance_id, group.id, error)
        return False
    record_outcome(context, instance_id, restart)
    LOG.info('Configuration %s applied to %s (restart needed for: %s)',
             group.id, instance_id, ', '.join(restart) or 'nothing')
    _log_change(context, instance_id, 'The changed configuration group %s '
                '("%s") was applied' % (group.id, group.name), restart)
    return True


def _record_not_applied(context, instance_id, configuration_id, error):
    if isinstance(error, ConfigurationRefused):
        advice = 'The instance keeps its previous configuration.'
    else:
        advice = 'Restarting the instance applies it.'
    message = ('The changed configuration group %s was not applied to '
               'this instance: %s %s' % (configuration_id,
                                         str(error).rstrip('.') + '.',
                                         advice))
    LOG.warning('Instance %s: %s', instance_id, message)
    faults.save_fault(context, instance_id, message, '')


def apply_before_restart(context, instance_id):
    """Before the engine restarts: have the guest write (and apply) the
    attached group's current values, so a change the instance missed
    while it was not reachable takes effect with the restart. A failure
    is only logged: the restart goes on and reports its own."""
    try:
        row = _live_row(context, instance_id)
        configuration_id = row.configuration_id if row is not None else None
        if not configuration_id:
            return
        group = models.load(context, configuration_id)
        rules = parameter_rules.load_rules(context,
                                           group.datastore_version_id)
        apply(context, instance_id, overrides_of(group, rules), rules)
    except Exception as error:
        LOG.warning('The configuration of %s was not written before its '
                    'restart: %s', instance_id, error)


def overrides_for_create(context, configuration_id, version):
    """(group, typed overrides) a new instance of ``version`` starts
    with; the same checks as attach."""
    return overrides_for_instance(context, configuration_id,
                                  context.project_id, version.id)


def overrides_for_instance(context, configuration_id, tenant_id,
                           version_id):
    """(group, typed overrides) of a group for an instance of
    ``tenant_id`` running ``version_id`` (the taskmanager's read of what
    the API checked)."""
    group = group_for_instance(context, configuration_id, tenant_id,
                               version_id)
    rules = parameter_rules.load_rules(context, group.datastore_version_id)
    return group, overrides_of(group, rules)
