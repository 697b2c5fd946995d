"""SQLAlchemy models of every control-database table."""

from trove.db.models.backups import Backup, BackupStrategy
from trove.db.models.base import Base, generate_uuid, utcnow
from trove.db.models.clusters import Cluster
from trove.db.models.configurations import (Configuration,
                                            ConfigurationParameter)
from trove.db.models.datastores import (Datastore,
                                        DatastoreConfigurationParameter,
                                        DatastoreVersion,
                                        DatastoreVersionMetadata)
from trove.db.models.events import (BackupDrill, BackupSchedule,
                                    InstanceEvent)
from trove.db.models.flavors import Flavor
from trove.db.models.instances import (ConductorLastSeen, Instance,
                                       InstanceFault, RootEnabledHistory,
                                       ServiceStatusRecord)
from trove.db.models.modules import InstanceModule, Module
from trove.db.models.pitr import PitrArchive, PitrRestore
from trove.db.models.quotas import Quota, QuotaUsage, Reservation
from trove.db.models.volume_types import VolumeType
from trove.db.models.work import WorkClaim

__all__ = [
    'Backup', 'BackupDrill', 'BackupSchedule', 'BackupStrategy', 'Base',
    'Cluster', 'ConductorLastSeen',
    'Configuration', 'ConfigurationParameter', 'Datastore',
    'DatastoreConfigurationParameter', 'DatastoreVersion',
    'DatastoreVersionMetadata', 'Flavor', 'Instance', 'InstanceEvent',
    'InstanceFault', 'InstanceModule', 'Module', 'PitrArchive',
    'PitrRestore', 'Quota', 'QuotaUsage', 'Reservation',
    'RootEnabledHistory', 'ServiceStatusRecord', 'VolumeType', 'WorkClaim',
    'generate_uuid', 'utcnow',
]
