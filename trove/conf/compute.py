"""[DEFAULT] choice of the compute provider (where instances run)."""

from oslo_config import cfg

compute_opts = [
    cfg.StrOpt('compute_provider', default='local',
               choices=[('local', 'Instances are guest-agent processes on '
                                  'this machine, each with its own loopback '
                                  'address; flavors live in the control '
                                  'database.'),
                        ('openstack', 'Instances are Nova servers in the '
                                      'service project, with Cinder data '
                                      'volumes and Neutron ports; flavors '
                                      'are Nova\'s ([service_credentials], '
                                      'management_networks).')],
               help='Compute, volume and flavor provider of the '
                    'taskmanager and the API (trove.compute.PROVIDERS).'),
]


def register_opts(conf):
    conf.register_opts(compute_opts)


def list_opts():
    return {'DEFAULT': compute_opts}
