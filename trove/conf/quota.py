"""[DEFAULT] quota defaults: what a project may use unless overridden."""

from oslo_config import cfg

quota_opts = [
    cfg.IntOpt('max_instances_per_tenant', default=10, min=-1,
               help='Default instance quota of a project (-1: unlimited).'),
    cfg.IntOpt('max_ram_per_tenant', default=-1, min=-1,
               help='Default RAM quota of a project in MB (-1: unlimited).'),
    cfg.IntOpt('max_volumes_per_tenant', default=40, min=-1,
               help='Default volume quota of a project in GB, summed over '
                    'its instances (-1: unlimited).'),
    cfg.IntOpt('max_backups_per_tenant', default=50, min=-1,
               help='Default backup quota of a project (-1: unlimited).'),
    cfg.IntOpt('max_accepted_volume_size', default=10, min=1,
               help='Largest volume, in GB, a single instance may ask for.'),
    cfg.StrOpt('quota_driver', default='trove.quota.quota.DbQuotaDriver',
               help='Class that stores quotas and usage.'),
]


def register_opts(conf):
    conf.register_opts(quota_opts)


def list_opts():
    return {'DEFAULT': quota_opts}
