"""[service_credentials]: how the control plane authenticates to OpenStack.

Used by the openstack compute provider to create servers and volumes in
the service project.
"""

from oslo_config import cfg

GROUP = cfg.OptGroup('service_credentials', title='Service credentials')

service_credentials_opts = [
    cfg.StrOpt('auth_url', default='https://0.0.0.0/identity/v3',
               help='Keystone URL of the service user.'),
    cfg.StrOpt('username', default='', help='Service user name.'),
    cfg.StrOpt('password', default='', secret=True,
               help='Service user password.'),
    cfg.StrOpt('project_id', default='', help='Service project id.'),
    cfg.StrOpt('project_name', default='', help='Service project name.'),
    cfg.StrOpt('user_domain_name', default='Default',
               help='Domain of the service user.'),
    cfg.StrOpt('project_domain_name', default='Default',
               help='Domain of the service project.'),
    cfg.StrOpt('region_name', default='RegionOne',
               help='Region of the OpenStack services to use.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(service_credentials_opts, group=GROUP)


def list_opts():
    return {GROUP: service_credentials_opts}
