"""trove-local's certificate authority for TLS to instances: made on the
first "up", kept by later ones, named in its trove.conf."""

import configparser
import os

from trove.common import certificates
from trove.localenv import config as local_config


def test_the_authority_is_made_once_and_configured(tmp_path):
    config = local_config.LocalConfig(str(tmp_path / 'state'))
    config.write()
    assert os.stat(config.tls_ca_key).st_mode & 0o777 == 0o600
    made = open(config.tls_ca_cert).read()
    parser = configparser.RawConfigParser()
    parser.read(config.trove_conf)
    assert parser.get('DEFAULT', 'instance_tls_ca_cert') == \
        config.tls_ca_cert
    assert parser.get('DEFAULT', 'instance_tls_ca_key') == config.tls_ca_key
    authority = certificates.Authority(made, open(config.tls_ca_key).read())
    assert authority.certificate.extensions.get_extension_for_class(
        certificates.x509.BasicConstraints).value.ca

    config.write()      # a later "up"
    assert open(config.tls_ca_cert).read() == made
