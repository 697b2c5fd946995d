"""Start-up shared by every console script: options and logging."""

import sys

from oslo_log import log as logging

from trove.conf import CONF

VERSION = '0.1.0'


def setup(argv=None, prog=None, default_config_files=None):
    """Parse the command line and config files, then configure logging."""
    argv = sys.argv[1:] if argv is None else argv
    CONF(argv, project='trove', prog=prog, version=VERSION,
         default_config_files=default_config_files)
    logging.setup(CONF, 'trove')
    return CONF
