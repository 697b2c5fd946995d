"""The taskmanager's periodic checks.

* Stuck tasks: a task that cannot survive the crash of the worker owning
  it (``states.InstanceTasks.stuck_tasks()``) and is older than its
  deadline (the option its ``stuck_after`` names, plus a grace) moves to
  its ``on_stuck`` error task with a fault saying what timed out. Tasks
  with work in the claims table are left to their flow and the sweep
  (trove.taskmanager.sweep): this is the net under them.

The recorded ``server_status`` is only written by the flows: a guest
agent dying later shows through the heartbeat expiry (operating_status
ERROR), as a dead agent inside a live VM does upstream.

Backups that can no longer end are failed by flows/backup.py
(``check_stuck_backups``), a periodic task of its own.
"""

from oslo_log import log as logging

from trove.common import states
from trove.conf import CONF
from trove.records import service_status
from trove.records import work_claims as claims
from trove.taskmanager import instance_records as records

LOG = logging.getLogger(__name__)

Tasks = states.InstanceTasks
# Beyond the task's own deadline: the flow doing it records its outcome
# a little after its deadline passes.
GRACE_SECONDS = 60

_WHAT = {
    'BUILDING': 'Building the instance',
    'DELETING': 'Deleting the instance',
    'REBOOTING': 'Restarting the instance',
    'RESIZING': 'Resizing the instance',
    'UPGRADING': 'Upgrading the instance',
    'PROMOTING': 'Promoting the replica',
    'EJECTING': 'Ejecting the replica source',
    'DETACHING': 'Detaching the replica',
}


def stuck_deadline(task):
    """Seconds after which ``task`` counts as abandoned."""
    if task is Tasks.BUILDING:
        seconds = max(CONF.usage_timeout, CONF.restore_usage_timeout)
    else:
        seconds = getattr(CONF, task.stuck_after)
    return seconds + GRACE_SECONDS


def stuck_fault(task, seconds):
    what = _WHAT.get(task.name, task.db_text.rstrip('.'))
    return ('%s did not finish within %d seconds: the taskmanager doing it '
            'stopped or lost track of it. Delete the instance, or ask an '
            'administrator to reset its status.' % (what, seconds))


def check_stuck_tasks(context):
    """Move abandoned tasks to their error task; returns the ids moved.
    Instances with work in the claims table are the sweep's."""
    moved = []
    with_work = claims.ids_with_work(context, 'instance')
    for task in Tasks.stuck_tasks():
        seconds = stuck_deadline(task)
        for instance_id in records.stuck_in(
                context, task, records.seconds_ago(seconds)):
            if instance_id in with_work:
                continue
            error_task = Tasks.from_name(task.on_stuck)
            if not records.fail(context, instance_id, error_task,
                                stuck_fault(task, seconds),
                                only_if_task=task):
                continue    # its task changed meanwhile
            if task is Tasks.BUILDING and CONF.update_status_on_fail:
                service_status.set_status(
                    context, instance_id,
                    states.ServiceStatuses.FAILED_TIMEOUT_GUESTAGENT)
            LOG.warning('Instance %s was stuck in %s; now %s', instance_id,
                        task.name, error_task.name)
            moved.append(instance_id)
    return moved
