"""[DEFAULT] options of the openstack compute provider (upstream's names).

Read by the taskmanager and the API when ``compute_provider = openstack``:
where Nova, Cinder, Neutron and Glance are (the service catalog of the
``[service_credentials]`` user unless an URL is given), which client
microversions to speak, how servers, volumes, ports and security groups
are made, and what is injected into a new server.
"""

from oslo_config import cfg


def _endpoint_opts(prefix, service, service_type, url_name=None):
    url_name = url_name or prefix + '_url'
    return [
        cfg.URIOpt(url_name, schemes=('http', 'https'),
                   help='%s endpoint to use instead of the one in the '
                        'service catalog.' % service),
        cfg.StrOpt(prefix + '_service_type', default=service_type,
                   help='Service type of %s in the service catalog.'
                        % service),
        cfg.StrOpt(prefix + '_endpoint_type', default='publicURL',
                   choices=['publicURL', 'internalURL', 'adminURL',
                            'public', 'internal', 'admin'],
                   help='Endpoint type (interface) of %s in the catalog.'
                        % service),
    ]


endpoint_opts = (
    _endpoint_opts('nova_compute', 'Nova', 'compute',
                   url_name='nova_compute_url') +
    _endpoint_opts('cinder', 'Cinder', 'volumev3') +
    _endpoint_opts('neutron', 'Neutron', 'network') +
    _endpoint_opts('glance', 'Glance', 'image'))

client_opts = [
    cfg.StrOpt('nova_client_version', default='2.57',
               help='Nova API microversion of the provider\'s requests '
                    '(at least 2.57: server tags at create, user_data on '
                    'rebuild).'),
    cfg.StrOpt('cinder_client_version', default='3.42',
               help='Cinder API microversion (at least 3.42: volumes '
                    'extended while attached).'),
]

server_opts = [
    cfg.StrOpt('nova_keypair',
               help='Nova keypair given to every server (operator SSH '
                    'access to guests).'),
    cfg.BoolOpt('use_nova_server_config_drive', default=False,
                help='Give servers a config drive (user-data is then also '
                     'readable without a metadata service).'),
    cfg.StrOpt('block_device_mapping', default='vdb',
               help='Device name asked of Nova for the data volume.'),
    cfg.BoolOpt('volume_rootdisk_support', default=False,
                help='Boot servers from a new Cinder volume made from the '
                     'image instead of the flavor\'s local disk.'),
    cfg.IntOpt('volume_rootdisk_size', default=10, min=1,
               help='Size in GB of the root volume when '
                    'volume_rootdisk_support is set.'),
    cfg.StrOpt('cinder_volume_type',
               help='Volume type of data volumes when the request names '
                    'none.'),
    cfg.BoolOpt('enable_volume_az', default=False,
                help='Create data volumes in the availability zone asked '
                     'for the server (Cinder and Nova zones must match).'),
]

network_opts = [
    cfg.ListOpt('management_networks', default=[],
                help='Neutron network ids every server gets a port on, '
                     'for the guest agent to reach RabbitMQ. The last one '
                     'is used; the user\'s network, if any, comes first.'),
    cfg.ListOpt('management_security_groups', default=[],
                help='Security groups of the management port (the '
                     'instance\'s own group when empty).'),
    cfg.BoolOpt('trove_security_groups_support', default=True,
                help='Create a security group per instance opening the '
                     'datastore\'s tcp_ports to the allowed CIDRs.'),
    cfg.StrOpt('trove_security_group_name_prefix', default='trove_sg',
               help='Name prefix of the per-instance security group '
                    '(<prefix>-<instance id>).'),
    cfg.StrOpt('trove_security_group_rule_cidr', default='0.0.0.0/0',
               help='CIDR allowed to the datastore ports when the request '
                    'gives no access.allowed_cidrs.'),
    cfg.StrOpt('ip_regex',
               help='Only addresses matching this regex are shown.'),
    cfg.StrOpt('black_list_regex',
               help='Addresses matching this regex are never shown.'),
]

injection_opts = [
    cfg.StrOpt('injected_config_owner', default='ubuntu',
               help='Owner of the files injected into a server.'),
    cfg.StrOpt('injected_config_group', default='root',
               help='Group of the files injected into a server.'),
    cfg.StrOpt('cloudinit_location', default='/etc/trove/cloudinit',
               help='Directory of <datastore manager>.cloudinit files: '
                    'a datastore\'s own cloud-init user-data part, sent '
                    'with the injected files.'),
]

openstack_opts = (endpoint_opts + client_opts + server_opts + network_opts +
                  injection_opts)


def register_opts(conf):
    conf.register_opts(openstack_opts)


def list_opts():
    return {'DEFAULT': openstack_opts}
