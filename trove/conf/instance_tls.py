"""[DEFAULT] options of TLS to instances (doc/tls.md).

The control plane signs each instance's server certificate with one
certificate authority per deployment; trove-local makes its own, other
deployments name theirs here.
"""

from oslo_config import cfg

tls_opts = [
    cfg.StrOpt('instance_tls_ca_cert',
               help='Controller: PEM file of the certificate authority '
                    'that signs the instances\' server (and client) '
                    'certificates; clients verify instances against it. '
                    'Unset: TLS to instances cannot be enabled (400). '
                    'trove-local makes one per deployment.'),
    cfg.StrOpt('instance_tls_ca_key', secret=True,
               help='Controller (taskmanager and API): PEM file of that '
                    'authority\'s private key (unencrypted; keep it mode '
                    '0600, readable by the Trove services only).'),
    cfg.IntOpt('instance_tls_cert_days', default=365, min=1, max=3650,
               help='Controller: validity of an issued server or client '
                    'certificate, in days.'),
]


def register_opts(conf):
    conf.register_opts(tls_opts)


def list_opts():
    return {'DEFAULT': tls_opts}
