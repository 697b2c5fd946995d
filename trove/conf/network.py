"""[network]: Neutron options of the openstack provider (upstream's names)."""

from oslo_config import cfg

GROUP = cfg.OptGroup('network', title='Instance networking (Neutron)')

network_opts = [
    cfg.StrOpt('public_network_id',
               help='External network of the floating IPs given to '
                    'instances created with access.is_public; the first '
                    'router:external network when unset.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(network_opts, group=GROUP)


def list_opts():
    return {GROUP: network_opts}
