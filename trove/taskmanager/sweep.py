"""Taking over abandoned work: the sweep.

Work whose lease passed was abandoned: its taskmanager died (or was cut
off), or its cast never reached any taskmanager. One taskmanager of the
deployment sweeps at a time (a periodic turn): it claims each such piece
of work and resumes its flow after the last step that finished — or,
when the work was taken over ``work_max_attempts`` times already (a flow
that kills its taskmanager must not kill every other one) or its
resource is gone, ends it with a fault, so nothing waits an hour for the
stuck-task check.
"""

from oslo_log import log as logging

from trove.common import context as trove_context
from trove.conf import CONF
from trove.records import work_claims as claims

LOG = logging.getLogger(__name__)


def resume_context(work, tenant_id=None):
    """The context a resumed flow works in: the system, on behalf of the
    resource's project, carrying the original request's id."""
    context = trove_context.get_admin_context(project_id=tenant_id)
    if work.request_id:
        context.request_id = work.request_id
    return context


def sweep(manager, context):
    """Claim and resume (or end) every piece of abandoned work; returns
    the ids taken."""
    taken = []
    for work in claims.expired(context):
        if manager.runner.is_running(work.resource_id):
            continue    # ours, between its claim and its first renewal
        claimed = claims.claim(context, work.resource_id, work.flow,
                               owner=manager.runner.owner)
        if claimed is None:
            continue    # another sweeper, or a new flow, got there first
        LOG.warning('Taking over %s of %s %s (step %s, attempt %d, was '
                    'held by %s)', work.flow, work.resource_type,
                    work.resource_id, work.step or 'none', claimed.attempts,
                    work.owner or 'nobody: its cast was lost')
        manager.resume(claimed,
                       give_up=claimed.attempts > CONF.work_max_attempts)
        taken.append(work.resource_id)
    return taken
