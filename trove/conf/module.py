"""[DEFAULT] options of guest modules (upstream's names)."""

from oslo_config import cfg

module_opts = [
    cfg.ListOpt('module_types', default=['ping', 'new_relic_license'],
                help='Module types (guest drivers) users may create.'),
    cfg.StrOpt('module_aes_cbc_key', default='module_aes_cbc_key',
               secret=True,
               help='Key the contents of modules are encrypted with in '
                    'the control database (AES-CBC).'),
]


def register_opts(conf):
    conf.register_opts(module_opts)


def list_opts():
    return {'DEFAULT': module_opts}
