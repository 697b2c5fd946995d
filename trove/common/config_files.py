"""Locating the files the services read: paste config, templates."""

import os

from trove.conf import CONF

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# etc/trove of a source checkout or an editable install.
SOURCE_ETC_DIR = os.path.join(os.path.dirname(PACKAGE_DIR), 'etc', 'trove')


def find_config_file(name):
    """An absolute path, a file next to the config files, or the
    project's own etc/trove copy."""
    if os.path.isabs(name):
        return name
    found = CONF.find_file(name)
    if found:
        return os.path.abspath(found)
    candidate = os.path.join(SOURCE_ETC_DIR, name)
    if os.path.exists(candidate):
        return candidate
    raise FileNotFoundError('Cannot find config file %s' % name)
