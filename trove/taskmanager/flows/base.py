"""The frame every taskmanager flow runs in: claimed work, steps, failure.

A flow is a list of ``Step`` objects run in order on one claimed resource
(see trove.records.work_claims). The frame, not the steps, handles:

* the claim: after each step a checkpoint records it (so a taskmanager
  taking the work over resumes after the last finished step), and a
  claim that was superseded or taken over stops the flow quietly;
* cancellation: between steps, and inside long waits (``wait_until``);
* failure, once: a step's exception becomes that step's ``FlowFailed``
  (the error task and a message the user can act on), which ``on_failed``
  records — the fault and the error task in one transaction — unless the
  flow overrides what a failure means (a restart ends with no task);
* the end: the claim is released whatever happened.

Steps keep what later steps need in ``flow.progress`` (checkpointed with
them) or in the resource's own row, never only in memory, so a resumed
flow has it too.
"""

import time
import traceback

from oslo_log import log as logging

from trove.common import exception
from trove.records import events
from trove.records import work_claims as claims

LOG = logging.getLogger(__name__)


class FlowFailed(Exception):
    """A step failed. ``message`` None keeps a fault already recorded
    (one the guest reported itself)."""

    def __init__(self, task, message, details=''):
        super().__init__(message or getattr(task, 'db_text', str(task)))
        self.task = task
        self.message = message
        self.details = details


class Cancelled(Exception):
    """The flow must stop without recording anything: its resource was
    deleted, or its work was superseded or taken over."""


def describe(error):
    """One line about an error, for a fault message."""
    if isinstance(error, exception.TroveError):
        return str(error)
    text = str(error).strip()
    return '%s: %s' % (type(error).__name__, text) if text \
        else type(error).__name__


class Step:
    """One job of a flow. ``run(flow)`` does it; if it raises, the flow
    fails with ``failure_task`` (default: the flow's) and ``failure``
    formatted with the error."""

    name = None
    failure_task = None
    failure = '%s'

    def run(self, flow):
        raise NotImplementedError

    def on_failure(self, flow, error):
        return FlowFailed(self.failure_task or flow.failure_task,
                          self.failure % describe(error),
                          traceback.format_exc())


class Flow:
    """Claimed work on one resource, as steps."""

    name = None             # the work's flow name in the claims table
    resource_type = 'instance'
    failure_task = None
    steps = ()

    def __init__(self, context, work, provider, runner=None):
        self.context = context
        self.work = work
        self.provider = provider
        self.runner = runner
        self.progress = dict(work.state) if work is not None else {}
        self._last_claim_check = time.monotonic()

    @property
    def resource_id(self):
        return self.work.resource_id

    @property
    def resumed(self):
        """Taken over from another taskmanager (or a lost cast)."""
        return self.work.attempts > 1 or self.work.step is not None

    # The frame ---------------------------------------------------------------
    def run(self):
        self.log_event(events.TASK_START, '%s started%s.' % (
            self.what.capitalize(),
            ' again (taken over after an interruption)'
            if self.resumed else ''))
        try:
            self.before()
            for step in self.remaining_steps():
                self.check_cancelled()
                self.run_step(step)
            self.succeeded()
            self.clear_resolved()
            self.log_event(events.TASK_END,
                           '%s finished.' % self.what.capitalize())
        except (Cancelled, claims.ClaimLost) as stop:
            LOG.info('%s of %s stopped: %s', self.name, self.resource_id,
                     stop or 'its work was superseded')
            self.log_event(events.TASK_END, '%s stopped: %s.' % (
                self.what.capitalize(),
                stop or 'its work was superseded'))
        except FlowFailed as failure:
            LOG.warning('%s of %s failed: %s', self.name, self.resource_id,
                        failure)
            self.on_failed(failure)
            self.log_event(events.TASK_FAILED, '%s failed: %s' % (
                self.what.capitalize(), failure))
        except Exception as error:
            LOG.exception('%s of %s failed', self.name, self.resource_id)
            failure = FlowFailed(
                self.failure_task, 'The %s failed: %s' % (
                    self.name.replace('_', ' '), describe(error)),
                traceback.format_exc())
            self.on_failed(failure)
            self.log_event(events.TASK_FAILED, str(failure))
        finally:
            self.release()

    # What the event log calls the flow ("the restart"); flows may say
    # better.
    @property
    def what(self):
        return events.FLOW_NAMES.get(self.name,
                                     'the ' + self.name.replace('_', ' '))

    def log_event(self, kind, message):
        """An event in the log of the flow's instance (backup flows log
        their own, about the backup's instance)."""
        if self.resource_type == 'instance' and self.work is not None:
            events.record(self.context, self.resource_id, kind, message)

    def run_step(self, step):
        LOG.debug('%s of %s: %s', self.name, self.resource_id, step.name)
        try:
            step.run(self)
        except (FlowFailed, Cancelled, claims.ClaimLost):
            raise
        except Exception as error:
            LOG.exception('%s of %s: step %s failed', self.name,
                          self.resource_id, step.name)
            raise step.on_failure(self, error) from error
        # What the instance view shows as the operation's progress.
        names = [each.name for each in self.steps]
        if step.name in names:
            self.progress.update(
                progress_step=step.name,
                progress_percent=100 * (names.index(step.name) + 1)
                // len(names))
        claims.checkpoint(self.context, self.work, step.name,
                          **self.progress)

    def save_progress(self, **state):
        """Record what a step learned before it finishes (an object it
        made), so a taskmanager taking over finds it."""
        self.progress.update(state)
        claims.checkpoint(self.context, self.work, self.work.step,
                          **self.progress)

    def remaining_steps(self):
        """The steps after the last one a previous owner finished."""
        names = [step.name for step in self.steps]
        done = self.work.step
        if done in names:
            return list(self.steps[names.index(done) + 1:])
        return list(self.steps)

    def release(self):
        try:
            claims.release(self.context, self.work)
        except Exception:
            # The lease runs out and the sweep cleans up.
            LOG.exception('Could not release the %s work of %s', self.name,
                          self.resource_id)

    # Cancellation ------------------------------------------------------------
    def check_cancelled(self, read_claim=False):
        """Cancelled if the runner learned the work is no longer ours, or
        the claim says so (read at most once a second, or now with
        ``read_claim``)."""
        if self.runner is not None and self.runner.is_cancelled(
                self.resource_id):
            raise Cancelled('its work was superseded or taken over')
        now = time.monotonic()
        if read_claim or now - self._last_claim_check >= 1.0:
            self._last_claim_check = now
            if not claims.still_held(self.context, self.work):
                raise Cancelled('its work was superseded or taken over')

    def wait_until(self, ready, timeout, interval, on_timeout):
        """Poll ``ready()`` until it returns a true value (returned),
        checking for cancellation; ``on_timeout()`` (which raises) when
        ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while True:
            value = ready()
            if value:
                return value
            self.check_cancelled()
            if time.monotonic() >= deadline:
                on_timeout()
                raise FlowFailed(self.failure_task,
                                 'The %s timed out.' % self.name)
            time.sleep(min(interval, max(deadline - time.monotonic(),
                                         0.01)))

    # Hooks -------------------------------------------------------------------
    def before(self):
        """Load what every step needs; may raise Cancelled."""

    def succeeded(self):
        """Record the success."""

    def clear_resolved(self):
        """After the success: clear what it resolved (an instance's
        fault from before it)."""

    def on_failed(self, failure):
        """Record a failure (the resource's error state)."""

    def abandon(self, reason):
        """End work that cannot be resumed (it was taken over too often,
        or needs what died with its taskmanager) as a failure."""
        self.on_failed(FlowFailed(self.failure_task, reason))
        self.release()
