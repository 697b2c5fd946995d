"""[DEFAULT] options of the REST API server: listening, workers, paging, rates."""

from oslo_config import cfg

api_opts = [
    cfg.HostAddressOpt('bind_host', default='0.0.0.0',
                       help='IP address the API server listens on.'),
    cfg.PortOpt('bind_port', default=8779,
                help='Port the API server listens on.'),
    cfg.StrOpt('api_paste_config', default='api-paste.ini',
               help='Paste deploy file of the API; a relative name is '
                    'looked up next to the config files, then in the '
                    'packaged etc/trove directory.'),
    cfg.IntOpt('trove_api_workers', min=1,
               help='Number of API worker processes. Defaults to the '
                    'number of CPUs.'),
    cfg.IntOpt('trove_api_threads', default=2, min=1,
               help='Python threads per API worker process; each serves '
                    'one request at a time, and further requests wait in '
                    'arrival order while their connections stay open. '
                    'Requests are CPU-bound except those that wait for a '
                    'guest agent (at most agent_call_*_timeout): raise '
                    'this where many such calls may wait at once.'),
    cfg.StrOpt('auth_strategy', default='keystone',
               choices=[('keystone', 'Validate tokens with Keystone '
                                     '(keystonemiddleware auth_token).'),
                        ('noauth', 'Development only: no token check; a '
                                   'request acts as the project named in '
                                   'its URL.')],
               help='How API requests are authenticated.'),
    cfg.URIOpt('public_endpoint',
               help='Base URL used in version links instead of the URL of '
                    'the incoming request.'),
    cfg.IntOpt('max_header_line', default=16384, min=1,
               help='Size of a request header line (a large token) the '
                    'API must accept: the request head may be this size '
                    'plus 8 KiB, and at least about 400 KiB.'),
    cfg.StrOpt('default_datastore',
               help='Datastore used when a create request names none.'),
    cfg.BoolOpt('trove_volume_support', default=False,
                help='Whether instances get a separate data volume; when '
                     'False flavors report their ephemeral disk as '
                     'local_storage.'),
    cfg.BoolOpt('hostname_require_valid_ip', default=True,
                help='Require MySQL user hosts to be valid IPs or CIDRs '
                     '(with %% wildcards).'),
    cfg.StrOpt('rate_limit_store', default='file',
               choices=[('file', 'A memory-mapped file under state_path '
                                 'shared by every API worker of the host, '
                                 'so limits hold in total.'),
                        ('memory', 'Each worker process counts on its own '
                                   '(upstream behaviour).')],
               help='Where request rate counters are kept.'),
    cfg.ListOpt('expected_filetype_suffixes', default=['json'],
                help='Suffixes of a URL path that select a format rather '
                     'than being part of an id.'),
]

page_size_opts = [
    cfg.IntOpt(name, default=20, min=1,
               help='Maximum number of %s returned in one page.' % what)
    for name, what in (
        ('instances_page_size', 'instances'),
        ('clusters_page_size', 'clusters'),
        ('databases_page_size', 'databases'),
        ('users_page_size', 'users'),
        ('backups_page_size', 'backups'),
        ('configurations_page_size', 'configuration groups'),
        ('modules_page_size', 'modules'),
    )
]

max_page_opts = [
    cfg.IntOpt('backups_max_page_size', default=1000, min=1,
               help='Largest number of backups one page of a backup list '
                    'shows when the request asks for more than '
                    'backups_page_size with ?limit= (upstream takes any '
                    'limit; a larger one is cut to this, with a next link).'),
]

rate_opts = [
    cfg.IntOpt(name, default=200, min=1,
               help='Requests per minute a project may make with %s.' % what)
    for name, what in (
        ('http_get_rate', 'GET'),
        ('http_post_rate', 'POST'),
        ('http_put_rate', 'PUT'),
        ('http_delete_rate', 'DELETE'),
        ('http_mgmt_post_rate', 'POST to management URLs'),
    )
]

ALL_OPTS = api_opts + page_size_opts + max_page_opts + rate_opts


def register_opts(conf):
    conf.register_opts(ALL_OPTS)


def list_opts():
    return {'DEFAULT': ALL_OPTS}
