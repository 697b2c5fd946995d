"""Every status and task of the system, declared once.

Service statuses (what the guest reports about its engine), instance tasks
(what the control plane is doing to an instance), backup states and cluster
tasks live here with their wire names, stored codes and descriptions, which
of them are errors, and which cannot survive the crash of the worker that
owns them (``stuck_after``). The rules that derive the user-visible
``status`` and ``operating_status`` of an instance are here too, so the API
views, the taskmanager and the conductor agree.

Codes are unique (upstream gives UPGRADING and RESTARTING the same code; here
UPGRADING has its own, see doc/compatibility.md).
"""

import dataclasses
import datetime


@dataclasses.dataclass(frozen=True)
class ServiceStatus:
    """State of the datastore engine as reported by the guest agent."""

    name: str
    code: int
    description: str
    api_status: str

    def __str__(self):
        return self.api_status


_SERVICE_STATUSES = [
    ServiceStatus('RUNNING', 0x01, 'running', 'ACTIVE'),
    ServiceStatus('BLOCKED', 0x02, 'blocked', 'BLOCKED'),
    ServiceStatus('PAUSED', 0x03, 'paused', 'SHUTDOWN'),
    ServiceStatus('SHUTDOWN', 0x04, 'shutdown', 'SHUTDOWN'),
    ServiceStatus('DELETED', 0x05, 'deleted', 'DELETED'),
    ServiceStatus('CRASHED', 0x06, 'crashed', 'SHUTDOWN'),
    ServiceStatus('FAILED', 0x08, 'failed to spawn', 'FAILED'),
    ServiceStatus('BUILDING', 0x09, 'building', 'BUILD'),
    ServiceStatus('PROMOTING', 0x10, 'promoting replica', 'PROMOTE'),
    ServiceStatus('EJECTING', 0x11, 'ejecting replica source', 'EJECT'),
    ServiceStatus('LOGGING', 0x12, 'transferring guest logs', 'LOGGING'),
    ServiceStatus('UNKNOWN', 0x16, 'unknown', 'ERROR'),
    ServiceStatus('NEW', 0x17, 'new', 'NEW'),
    ServiceStatus('FAILED_TIMEOUT_GUESTAGENT', 0x18, 'guestagent error',
                  'ERROR'),
    ServiceStatus('INSTANCE_READY', 0x19, 'instance ready', 'BUILD'),
    ServiceStatus('RESTART_REQUIRED', 0x20, 'restart required',
                  'RESTART_REQUIRED'),
    ServiceStatus('HEALTHY', 0x21, 'healthy', 'HEALTHY'),
    ServiceStatus('RESTARTING', 0x22, 'restarting', 'RESTARTING'),
    ServiceStatus('UPGRADING', 0x23, 'upgrading', 'UPGRADING'),
    # Not in upstream: a cluster member whose engine runs but is cut off
    # from the primary component (Galera quorum lost); it refuses
    # queries until the cluster is whole again.
    ServiceStatus('NON_PRIMARY', 0x24, 'non-primary', 'NON_PRIMARY'),
]


class ServiceStatuses:
    """Namespace of all service statuses: ``ServiceStatuses.HEALTHY``..."""

    ALL = tuple(_SERVICE_STATUSES)
    _BY_CODE = {s.code: s for s in _SERVICE_STATUSES}
    _BY_DESCRIPTION = {s.description: s for s in _SERVICE_STATUSES}

    @classmethod
    def from_code(cls, code):
        return cls._BY_CODE[code]

    @classmethod
    def from_description(cls, description):
        """The status a guest names in a heartbeat; ValueError if unknown."""
        try:
            return cls._BY_DESCRIPTION[description]
        except KeyError:
            raise ValueError('Unknown service status %r' % description)


for _status in _SERVICE_STATUSES:
    setattr(ServiceStatuses, _status.name, _status)

# Statuses in which the user may act on the instance.
ACTION_ALLOWED_SERVICE_STATUSES = frozenset([
    ServiceStatuses.RUNNING, ServiceStatuses.SHUTDOWN,
    ServiceStatuses.CRASHED, ServiceStatuses.BLOCKED,
    ServiceStatuses.HEALTHY, ServiceStatuses.RESTART_REQUIRED,
])
# Statuses in which the engine answers queries (users/databases/root APIs).
DATASTORE_RUNNING_STATUSES = frozenset([ServiceStatuses.RUNNING,
                                        ServiceStatuses.HEALTHY])
# Statuses that mean a new instance's engine is up.
SERVICE_ACTIVE_STATUSES = frozenset([ServiceStatuses.RUNNING,
                                     ServiceStatuses.HEALTHY,
                                     ServiceStatuses.INSTANCE_READY])
# Statuses a new instance passes through before it is up.
SERVICE_PENDING_STATUSES = frozenset([ServiceStatuses.NEW,
                                      ServiceStatuses.BUILDING,
                                      ServiceStatuses.UNKNOWN,
                                      ServiceStatuses.DELETED])


@dataclasses.dataclass(frozen=True)
class InstanceTask:
    """Work the control plane is doing to an instance.

    ``stuck_after`` names the option (seconds) after which a task still in
    progress is considered abandoned, and ``on_stuck`` the error task the
    taskmanager's periodic check moves it to.
    """

    name: str
    code: int
    action: str
    db_text: str
    is_error: bool = False
    stuck_after: str | None = None
    on_stuck: str | None = None

    def __str__(self):
        return self.name


_INSTANCE_TASKS = [
    InstanceTask('NONE', 0x01, 'NONE', 'No tasks for the instance.'),
    InstanceTask('DELETING', 0x02, 'DELETING', 'Deleting the instance.',
                 stuck_after='server_delete_time_out',
                 on_stuck='DELETING_ERROR'),
    InstanceTask('REBOOTING', 0x03, 'REBOOTING', 'Rebooting the instance.',
                 stuck_after='agent_call_high_timeout',
                 on_stuck='REBOOTING_ERROR'),
    InstanceTask('RESIZING', 0x04, 'RESIZING', 'Resizing the instance.',
                 stuck_after='resize_time_out', on_stuck='RESIZING_ERROR'),
    InstanceTask('BUILDING', 0x05, 'BUILDING', 'The instance is building.',
                 stuck_after='usage_timeout',
                 on_stuck='BUILDING_ERROR_TIMEOUT_GA'),
    InstanceTask('MIGRATING', 0x06, 'MIGRATING', 'Migrating the instance.'),
    InstanceTask('RESTART_REQUIRED', 0x07, 'RESTART_REQUIRED',
                 'Instance requires a restart.'),
    InstanceTask('PROMOTING', 0x08, 'PROMOTING',
                 'Promoting the instance to replica source.',
                 stuck_after='replication_task_timeout',
                 on_stuck='PROMOTION_ERROR'),
    InstanceTask('EJECTING', 0x09, 'EJECTING', 'Ejecting the replica source.',
                 stuck_after='replication_task_timeout',
                 on_stuck='EJECTION_ERROR'),
    InstanceTask('LOGGING', 0x0a, 'LOGGING', 'Transferring guest logs.'),
    InstanceTask('DETACHING', 0x0b, 'DETACHING',
                 'Detaching the instance from replica source.',
                 stuck_after='replication_task_timeout',
                 on_stuck='DETACHING_ERROR'),
    InstanceTask('UPDATING', 0x0c, 'UPDATING', 'Updating the instance.'),
    InstanceTask('BUILDING_ERROR_DNS', 0x50, 'BUILDING', 'Build error: DNS.',
                 is_error=True),
    InstanceTask('BUILDING_ERROR_SERVER', 0x51, 'BUILDING',
                 'Build error: Server.', is_error=True),
    InstanceTask('BUILDING_ERROR_VOLUME', 0x52, 'BUILDING',
                 'Build error: Volume.', is_error=True),
    InstanceTask('BUILDING_ERROR_SEC_GROUP', 0x53, 'BUILDING',
                 'Build error: Secgroup or rule.', is_error=True),
    InstanceTask('BUILDING_ERROR_REPLICA', 0x54, 'BUILDING',
                 'Build error: Replica.', is_error=True),
    InstanceTask('PROMOTION_ERROR', 0x55, 'PROMOTING',
                 'Replica Promotion Error.', is_error=True),
    InstanceTask('EJECTION_ERROR', 0x56, 'EJECTING',
                 'Replica Source Ejection Error.', is_error=True),
    InstanceTask('GROWING_ERROR', 0x57, 'GROWING', 'Growing Cluster Error.',
                 is_error=True),
    InstanceTask('SHRINKING_ERROR', 0x58, 'SHRINKING',
                 'Shrinking Cluster Error.', is_error=True),
    InstanceTask('UPGRADING', 0x59, 'UPGRADING', 'Upgrading the instance.',
                 stuck_after='resize_time_out', on_stuck='UPGRADING_ERROR'),
    InstanceTask('UPGRADING_ERROR', 0x5a, 'UPGRADING',
                 'Upgrading Cluster Error.', is_error=True),
    InstanceTask('BUILDING_ERROR_TIMEOUT_GA', 0x5b, 'ERROR',
                 'Build error: guestagent timeout.', is_error=True),
    InstanceTask('BUILDING_ERROR_PORT', 0x5c, 'BUILDING',
                 'Build error: Port.', is_error=True),
    InstanceTask('UPDATING_ERROR_ACCESS', 0x5d, 'UPDATING',
                 'Update error: Access.', is_error=True),
    # Not in upstream: the error states of tasks that upstream leaves
    # running forever when their worker dies.
    InstanceTask('REBOOTING_ERROR', 0x5e, 'REBOOTING',
                 'Restart error: timed out.', is_error=True),
    InstanceTask('RESIZING_ERROR', 0x5f, 'RESIZING',
                 'Resize error: timed out.', is_error=True),
    InstanceTask('DELETING_ERROR', 0x60, 'DELETING',
                 'Delete error: timed out.', is_error=True),
    InstanceTask('DETACHING_ERROR', 0x61, 'DETACHING',
                 'Detach error: timed out.', is_error=True),
]


class InstanceTasks:
    """Namespace of all instance tasks: ``InstanceTasks.BUILDING``..."""

    ALL = tuple(_INSTANCE_TASKS)
    _BY_CODE = {t.code: t for t in _INSTANCE_TASKS}
    _BY_NAME = {t.name: t for t in _INSTANCE_TASKS}

    @classmethod
    def from_code(cls, code):
        return cls._BY_CODE[code]

    @classmethod
    def from_name(cls, name):
        return cls._BY_NAME[name]

    @classmethod
    def stuck_tasks(cls):
        return [t for t in cls.ALL if t.stuck_after]


for _task in _INSTANCE_TASKS:
    setattr(InstanceTasks, _task.name, _task)


class InstanceStatus:
    """Values of the user-visible ``status`` of an instance."""

    HEALTHY = 'HEALTHY'
    ACTIVE = 'ACTIVE'
    BLOCKED = 'BLOCKED'
    BUILD = 'BUILD'
    FAILED = 'FAILED'
    REBOOT = 'REBOOT'
    RESIZE = 'RESIZE'
    BACKUP = 'BACKUP'
    SHUTDOWN = 'SHUTDOWN'
    ERROR = 'ERROR'
    RESTART_REQUIRED = 'RESTART_REQUIRED'
    PROMOTE = 'PROMOTE'
    EJECT = 'EJECT'
    UPGRADE = 'UPGRADE'
    DETACH = 'DETACH'
    LOGGING = 'LOGGING'
    UPDATING = 'UPDATING'
    UNKNOWN = 'UNKNOWN'


class ServerStatus:
    """Status of the compute server (Nova, or a local guest process)."""

    BUILD = 'BUILD'
    ACTIVE = 'ACTIVE'
    SHUTDOWN = 'SHUTDOWN'
    ERROR = 'ERROR'
    REBOOT = 'REBOOT'
    RESIZE = 'RESIZE'
    VERIFY_RESIZE = 'VERIFY_RESIZE'
    DELETED = 'DELETED'


# The guest is not asked for volume usage while the instance shows these.
AGENT_INVALID_STATUSES = frozenset([
    InstanceStatus.BUILD, InstanceStatus.REBOOT, InstanceStatus.RESIZE,
    InstanceStatus.PROMOTE, InstanceStatus.EJECT, InstanceStatus.UPGRADE,
    InstanceStatus.SHUTDOWN,
])

_TASK_ACTION_STATUS = {
    'REBOOTING': InstanceStatus.REBOOT,
    'RESIZING': InstanceStatus.RESIZE,
    'UPGRADING': InstanceStatus.UPGRADE,
    'RESTART_REQUIRED': InstanceStatus.RESTART_REQUIRED,
    'PROMOTING': InstanceStatus.PROMOTE,
    'EJECTING': InstanceStatus.EJECT,
    'LOGGING': InstanceStatus.LOGGING,
    'DETACHING': InstanceStatus.DETACH,
    'UPDATING': InstanceStatus.UPDATING,
}
_SERVER_STATUSES_SHOWN = frozenset(['BUILD', 'ERROR', 'REBOOT', 'RESIZE',
                                    'ACTIVE', 'SHUTDOWN'])


def instance_status(task, server_status, has_running_backup):
    """The ``status`` of an instance (reference §5.3, evaluated in order)."""
    if task.is_error:
        return InstanceStatus.ERROR
    if task.action == 'BUILDING':
        if server_status == ServerStatus.ERROR:
            return InstanceStatus.ERROR
        return InstanceStatus.BUILD
    if task.action in _TASK_ACTION_STATUS:
        return _TASK_ACTION_STATUS[task.action]
    if task.action == 'DELETING':
        if server_status in (ServerStatus.ACTIVE, ServerStatus.SHUTDOWN,
                             ServerStatus.DELETED):
            return InstanceStatus.SHUTDOWN
        return InstanceStatus.ERROR
    if has_running_backup:
        return InstanceStatus.BACKUP
    if server_status in _SERVER_STATUSES_SHOWN:
        return server_status
    if server_status == ServerStatus.VERIFY_RESIZE:
        return InstanceStatus.RESIZE
    return InstanceStatus.UNKNOWN


def effective_service_status(task, service_status, updated_at, now,
                             heartbeat_expiry):
    """The service status after applying heartbeat expiry.

    A guest that has not reported for ``heartbeat_expiry`` seconds while no
    task runs is taken for dead, unless a restart is pending (then the
    stored RESTART_REQUIRED must stay visible).
    """
    if (task is InstanceTasks.NONE
            and service_status is not ServiceStatuses.RESTART_REQUIRED
            and updated_at is not None
            and now - updated_at >= datetime.timedelta(
                seconds=heartbeat_expiry)):
        return ServiceStatuses.FAILED_TIMEOUT_GUESTAGENT
    return service_status


def operating_status(task, server_status, service_status):
    """``operating_status``: the engine's api status, only when settled."""
    if task is InstanceTasks.NONE and server_status == ServerStatus.ACTIVE:
        return service_status.api_status
    return ''


class BackupState:
    NEW = 'NEW'
    BUILDING = 'BUILDING'
    SAVING = 'SAVING'
    COMPLETED = 'COMPLETED'
    FAILED = 'FAILED'
    DELETE_FAILED = 'DELETE_FAILED'
    RESTORED = 'RESTORED'

    RUNNING_STATES = (NEW, BUILDING, SAVING)
    END_STATES = (COMPLETED, FAILED, DELETE_FAILED, RESTORED)
    # States whose backup can be restored from.
    USABLE_STATES = (COMPLETED, RESTORED)


@dataclasses.dataclass(frozen=True)
class ClusterTask:
    name: str
    code: int
    description: str


_CLUSTER_TASKS = [
    ClusterTask('NONE', 0x01, 'No tasks for the cluster.'),
    ClusterTask('BUILDING_INITIAL', 0x02, 'Building the initial cluster.'),
    ClusterTask('DELETING', 0x03, 'Deleting the cluster.'),
    ClusterTask('ADDING_SHARD', 0x04, 'Adding a shard to the cluster.'),
    ClusterTask('GROWING_CLUSTER', 0x05,
                'Increasing the size of the cluster.'),
    ClusterTask('SHRINKING_CLUSTER', 0x06,
                'Decreasing the size of the cluster.'),
    ClusterTask('UPGRADING_CLUSTER', 0x07,
                'Upgrading the cluster to new version.'),
    ClusterTask('RESTARTING_CLUSTER', 0x08, 'Restarting the cluster.'),
    ClusterTask('UPDATING_CLUSTER', 0x09, 'Updating cluster configuration.'),
]


class ClusterTasks:
    ALL = tuple(_CLUSTER_TASKS)
    _BY_CODE = {t.code: t for t in _CLUSTER_TASKS}

    @classmethod
    def from_code(cls, code):
        return cls._BY_CODE[code]


for _ctask in _CLUSTER_TASKS:
    setattr(ClusterTasks, _ctask.name, _ctask)
