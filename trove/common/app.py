"""Building the API's WSGI application from the paste config."""

from paste import deploy

from trove.common import config_files
from trove.conf import CONF

APP_NAMES = {'keystone': 'trove', 'noauth': 'trove_noauth'}


def load_app():
    path = config_files.find_config_file(CONF.api_paste_config)
    return deploy.loadapp('config:%s' % path,
                          name=APP_NAMES[CONF.auth_strategy])
