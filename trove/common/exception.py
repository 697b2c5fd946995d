"""Trove's exceptions, each carrying the HTTP status the API answers with.

Every exception a user can cause declares its ``code``; the API turns it
into a fault body named after that code (see ``trove.common.faults``).
Anything else that escapes a controller is an internal error (500) and is
logged with the request id.

Where upstream answers with a wrong code because an exception is missing
from its map (an unknown instance answering 400, for instance), the class
here says the right one; doc/compatibility.md lists those deviations.
"""


class TroveError(Exception):
    """Base of all Trove errors. ``message`` is formatted with kwargs."""

    message = 'An unknown exception occurred.'
    code = 500

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if message is None:
            try:
                message = self.message % kwargs
            except (KeyError, TypeError, ValueError):
                message = self.message
        self.msg = message
        super().__init__(message)

    def __str__(self):
        return self.msg


# 400 ---------------------------------------------------------------------
class BadRequest(TroveError):
    message = 'The server could not comply with the request since it is ' \
              'either malformed or otherwise incorrect.'
    code = 400


class ValidationError(BadRequest):
    message = 'Validation error: %(errors)s'


class MalformedRequestBody(BadRequest):
    message = 'Malformed message body: %(reason)s'


class BadValue(BadRequest):
    message = 'Value could not be converted: %(msg)s'


class InvalidModelError(BadRequest):
    message = 'The following values are invalid: %(errors)s'


class DatabaseAlreadyExists(BadRequest):
    message = 'A database with the name "%(name)s" already exists.'


class UserAlreadyExists(BadRequest):
    message = 'A user with the name "%(name)s" already exists.'


class ReservedName(BadRequest):
    message = '"%(name)s" is reserved by the system and cannot be used.'


class CannotResizeToSameSize(BadRequest):
    message = 'No change was requested in the size of the instance.'


class InvalidInstanceState(BadRequest):
    message = 'The instance is not in a state that allows this operation ' \
              '(status %(status)s).'


class ReplicationNotSupported(BadRequest):
    message = 'Replication is not supported for the %(datastore)s ' \
              'datastore.'


class ReplicaCreateWithUsersDatabasesError(BadRequest):
    message = 'Cannot create a replica with users or databases.'


class DatastoreVersionsExist(BadRequest):
    message = 'Datastore versions exist for datastore %(datastore)s.'


class ModuleAlreadyExists(BadRequest):
    message = 'A module named %(name)s of type %(type)s already exists ' \
              'for this datastore and project.'


class DatastoreVersionsNoUniqueMatch(BadRequest):
    message = 'Multiple datastore versions named %(name)s exist; give the ' \
              'version number to choose one.'


class DatastoreDefaultDatastoreNotFound(BadRequest):
    message = 'Please specify datastore. Default datastore cannot be found.'


class DatastoreDefaultVersionNotFound(BadRequest):
    message = 'Default version for datastore %(datastore)s not found.'


class DatastoreVersionInactive(BadRequest):
    message = 'Datastore version %(version)s is not active.'


class ConfigurationAlreadyAttached(BadRequest):
    message = 'Instance %(instance_id)s already has configuration ' \
              '%(configuration_id)s attached.'


class InstanceAssignedToConfiguration(BadRequest):
    message = 'A configuration group cannot be deleted while it is ' \
              'attached to instances.'


class DatastoreVersionAlreadyExists(BadRequest):
    message = 'A datastore version named %(name)s with version ' \
              '%(version)s already exists.'


class DatastoreVersionsInUse(BadRequest):
    message = 'Datastore version is in use by %(resource)s.'


class ConfigurationParameterAlreadyExists(BadRequest):
    message = 'Configuration parameter %(name)s already exists for ' \
              'datastore version %(version)s.'


# 401 / 403 ---------------------------------------------------------------
class Unauthorized(TroveError):
    message = 'The request you have made requires authentication.'
    code = 401


class Forbidden(TroveError):
    message = 'User does not have admin privileges.'
    code = 403


class ReplicaSourceDeleteForbidden(Forbidden):
    message = 'The replica source cannot be deleted without detaching the ' \
              'replicas.'


class ReplicaOfReplicaForbidden(Forbidden):
    message = 'Cannot create a replica of a replica %(id)s.'


class PolicyNotAuthorized(Forbidden):
    message = 'Policy does not allow %(action)s to be performed.'


class TenantMismatch(Forbidden):
    message = 'User with tenant id %(tenant_id)s cannot access this resource.'


class LogAccessForbidden(Forbidden):
    message = 'Access to the %(action)s of log %(log)s is forbidden.'


class ModuleAccessForbidden(Forbidden):
    message = 'You must be admin to %(action)s a module with these ' \
              'options: %(options)s.'


class ModuleAppliedToInstance(Forbidden):
    message = 'Module %(name)s is applied to %(count)d instance(s); remove ' \
              'it from them first.'


class BackupTooLarge(Forbidden):
    message = 'Backup is too large for the given volume size: backup ' \
              '%(backup_size)s GB, volume %(disk_size)s GB.'


# 404 ---------------------------------------------------------------------
class NotFound(TroveError):
    message = 'Resource %(uuid)s cannot be found.'
    code = 404


class ModelNotFoundError(NotFound):
    pass


class InstanceNotFound(NotFound):
    message = 'Instance %(instance)s cannot be found.'


class FlavorNotFound(NotFound):
    message = 'Flavor %(uuid)s cannot be found.'


class DatastoreNotFound(NotFound):
    message = 'Datastore \'%(datastore)s\' cannot be found.'


class DatastoreVersionNotFound(NotFound):
    message = 'Datastore version \'%(version)s\' cannot be found.'


class ConfigurationNotFound(NotFound):
    message = 'Configuration group %(uuid)s cannot be found.'


class ConfigurationParameterNotFound(NotFound):
    message = 'Configuration parameter %(name)s cannot be found.'


class BackupNotFound(NotFound):
    message = 'Backup %(uuid)s cannot be found.'


class UserNotFound(NotFound):
    message = 'User %(uuid)s cannot be found on the instance.'


class DatabaseNotFound(NotFound):
    message = 'Database %(uuid)s cannot be found on the instance.'


class RootHistoryNotFound(NotFound):
    message = 'Root user has never been enabled on this instance.'


class QuotaResourceUnknown(NotFound):
    message = 'Unknown quota resources %(unknown)s.'


class ModuleNotFound(NotFound):
    message = 'Module %(uuid)s cannot be found.'


class ModuleTypeNotFound(NotFound):
    message = 'Module type %(module_type)s is not supported (known: ' \
              '%(known)s).'


class ClusterNotFound(NotFound):
    message = 'Cluster \'%(cluster)s\' cannot be found.'


class BackupFileNotFound(NotFound):
    message = 'Backup file in %(location)s was not found in the object ' \
              'storage.'


# 409 / 413 / 422 ---------------------------------------------------------
class Conflict(TroveError):
    message = 'The request conflicts with the state of the resource.'
    code = 409


class BackupNotCompleteError(Conflict):
    message = 'Unable to create instance because backup %(backup_id)s is ' \
              'not completed. Actual state: %(state)s.'


class RestoreBackupIntegrityError(Conflict):
    message = 'Current Swift object checksum does not match original ' \
              'checksum for backup %(backup_id)s.'


class OverLimit(TroveError):
    message = 'The server rejected the request due to its size or rate.'
    code = 413


class QuotaExceeded(OverLimit):
    message = 'Quota exceeded for resources: %(overs)s.'


class VolumeQuotaExceeded(QuotaExceeded):
    message = 'Instance volume quota exceeded: %(size)s GB requested, at ' \
              'most %(max_size)s GB allowed.'


class UnprocessableEntity(TroveError):
    message = 'Unable to process the contained request.'
    code = 422


class InstanceNotActionable(UnprocessableEntity):
    message = 'Instance %(instance_id)s is not currently available for an ' \
              'action to be performed (%(kind)s status was %(status)s).'


class DatastoreNotRunning(UnprocessableEntity):
    message = 'Instance %(instance_id)s is not ready: its datastore is not ' \
              'running (status %(status)s).'


class ConfigurationValueInvalid(UnprocessableEntity):
    message = 'The value provided for the configuration parameter ' \
              '%(name)s is not valid: %(reason)s'


# 5xx ---------------------------------------------------------------------
class NotImplementedForDatastore(TroveError):
    message = 'This operation is not supported for this datastore.'
    code = 501


class VolumeNotSupported(NotImplementedForDatastore):
    message = 'Volume support is not enabled for this datastore.'


class LogsNotAvailable(NotImplementedForDatastore):
    message = 'Log actions are not supported: %(reason)s'


class GuestLogNotFound(NotFound):
    message = 'Log %(name)s does not exist on this instance (known: ' \
              '%(known)s).'


class GuestError(TroveError):
    message = 'An error occurred communicating with the guest: ' \
              '%(original_message)s.'
    code = 500


class GuestTimeout(TroveError):
    message = 'The guest agent of instance %(instance_id)s did not answer ' \
              'within %(timeout)s seconds.'
    code = 504


class ServiceUnavailable(TroveError):
    message = 'The service is currently unavailable: %(reason)s'
    code = 503


class ComputeError(TroveError):
    message = 'Compute provider error: %(reason)s'


class PollTimeOut(TroveError):
    message = 'Polling request timed out after %(seconds)s seconds.'


# Clusters (upstream's messages) ---------------------------------------------
class ClusterNumInstancesNotLargeEnough(BadRequest):
    message = 'The number of instances for your initial cluster must be at ' \
              'least %(num_instances)s.'


class ClusterFlavorsNotEqual(BadRequest):
    message = 'The flavor for each instance in a cluster must be the same.'


class ClusterVolumeSizeRequired(BadRequest):
    message = 'A volume size is required for each instance in the cluster.'


class ClusterVolumeSizesNotEqual(BadRequest):
    message = 'The volume size for each instance in a cluster must be ' \
              'the same.'


class ClusterNetworksNotEqual(BadRequest):
    message = 'The network for each instance in a cluster must be the same.'


class ClusterShrinkMustNotLeaveClusterEmpty(BadRequest):
    message = 'Must leave at least one instance in the cluster when ' \
              'shrinking.'


class ClusterShrinkInstanceNotMember(BadRequest):
    message = 'Instance %(instance_id)s is not a member of cluster ' \
              '%(cluster_id)s.'


class ClusterNotAvailable(UnprocessableEntity):
    message = 'This action cannot be performed on the cluster while the ' \
              'current cluster task is \'%(task)s\'.'


class ClusterDatastoreNotSupported(NotImplementedForDatastore):
    message = 'Clusters not supported for %(datastore)s-%(datastore_version)s.'


class ClusterInstanceOperationNotSupported(NotImplementedForDatastore):
    message = 'Operation not supported for instances that are part of a ' \
              'cluster.'


class ClusterActionNotSupported(NotImplementedForDatastore):
    message = 'Action \'%(action)s\' is not supported for %(datastore)s ' \
              'clusters.'
