"""Modules applied by the guest agent: the drivers and their results.

Each applied module lives in ``<guest_state_dir>/modules/<type>/<name>/``:
``contents.dat`` (owner only) holds what the control plane sent and
``result.json`` what applying it gave (status ``OK`` or ``ERROR``, a
message, its MD5 and when), which ``module-query`` reports. Drivers, as
upstream ships: ``ping`` (applies nothing; its message says it was
reached) and ``new_relic_license`` (writes the license into a New Relic
infrastructure agent configuration file). A failing module is reported
as ERROR, never raised: the other modules still apply.
"""

import base64
import binascii
import datetime
import json
import os
import shutil

from oslo_log import log as logging

from trove.conf import CONF
from trove.guestagent import operating_system

LOG = logging.getLogger(__name__)

RESULT_KEYS = ('id', 'name', 'type', 'datastore', 'datastore_version',
               'tenant', 'md5', 'auto_apply', 'visible', 'is_admin',
               'priority_apply', 'apply_order')


def decoded(contents):
    """Module contents travel base64-encoded (the clients encode them);
    text that is not base64 is taken as it is."""
    try:
        return base64.b64decode(contents or '', validate=True)
    except (binascii.Error, ValueError):
        return (contents or '').encode('utf-8')


def _ping(module, directory):
    text = decoded(module.get('contents')).decode('utf-8', 'replace').strip()
    return 'Module %s reached this instance%s.' % (
        module['name'], ': ' + text[:200] if text else '')


def _new_relic_license(module, directory):
    path = os.path.join(directory, 'newrelic-infra.yml')
    operating_system.write_file(
        path, 'license_key: %s\n' % decoded(module['contents']).decode(
            'utf-8', 'replace').strip(), mode=0o600)
    return ('New Relic license written to %s (no New Relic agent runs on '
            'this host to read it).' % path)


DRIVERS = {'ping': _ping, 'new_relic_license': _new_relic_license}


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%S')


class ModuleManager:

    def __init__(self, state_dir=None):
        self.root = os.path.join(state_dir or CONF.guest_state_dir,
                                 'modules')

    def _dir(self, module):
        for part in (module['type'], module['name']):
            if not part or '/' in part or part in ('.', '..'):
                raise ValueError('invalid module %r' % (part,))
        return os.path.join(self.root, module['type'], module['name'])

    def apply(self, modules):
        return [self._apply_one(module) for module in modules]

    def _apply_one(self, module):
        directory = self._dir(module)
        operating_system.ensure_dir(directory, 0o700)
        result = {key: module.get(key) for key in RESULT_KEYS}
        previous = self._read(directory) or {}
        result['created'] = previous.get('created') or _now()
        result['updated'] = _now()
        result['removed'] = None
        try:
            with open(os.open(os.path.join(directory, 'contents.dat'),
                              os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                              0o600), 'wb') as target:
                target.write(decoded(module.get('contents')))
            driver = DRIVERS.get(module['type'])
            if driver is None:
                raise ValueError('no driver for module type %s'
                                 % module['type'])
            result['message'] = driver(module, directory)
            result['status'] = 'OK'
        except Exception as error:
            LOG.exception('Module %s failed', module.get('name'))
            result['status'] = 'ERROR'
            result['message'] = 'Applying the module failed: %s' % error
        operating_system.write_file(os.path.join(directory, 'result.json'),
                                    json.dumps(result), mode=0o600)
        LOG.info('Module %s (%s): %s', module['name'], module['type'],
                 result['status'])
        return result

    @staticmethod
    def _read(directory):
        text = operating_system.read_file(os.path.join(directory,
                                                       'result.json'))
        try:
            return json.loads(text) if text else None
        except ValueError:
            return None

    def list(self, include_contents=False):
        results = []
        if not os.path.isdir(self.root):
            return results
        for module_type in sorted(os.listdir(self.root)):
            type_dir = os.path.join(self.root, module_type)
            for name in sorted(os.listdir(type_dir)):
                directory = os.path.join(type_dir, name)
                result = self._read(directory)
                if result is None:
                    continue
                if include_contents:
                    with open(os.path.join(directory, 'contents.dat'),
                              'rb') as source:
                        result['contents'] = base64.b64encode(
                            source.read()).decode('ascii')
                results.append(result)
        return results

    def remove(self, module):
        directory = self._dir(module)
        shutil.rmtree(directory, ignore_errors=True)
        LOG.info('Module %s removed', module['name'])
