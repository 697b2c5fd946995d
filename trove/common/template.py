"""Datastore configuration templates: finding and rendering them.

A template is a Jinja2 file named ``config.template`` (or another
``*.template``) looked up, most specific first, as::

    <datastore name>/<version name>/
    <datastore name>/<major>.<minor>/
    <datastore name>/<major>/
    <datastore name>/
    <datastore manager>/

Each of those names is searched in ``[DEFAULT] template_path`` and then in
the templates packaged with trove (``trove/templates/``), so an operator
overrides a packaged template by dropping a file of the same name in
``template_path``. Rendering sees ``flavor`` (dict with ram in MB,
vcpus, disk...), ``datastore`` ({name, manager, version, semantic_version})
and ``server_id`` (a positive int derived from the instance id).

This module only reads templates; it never talks to guests or databases.
"""

import os
import re
import threading
import zlib

import jinja2

from trove.common import exception
from trove.conf import CONF

PACKAGED_TEMPLATES = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    'templates')
CONFIG_TEMPLATE = 'config.template'


class TemplateNotFound(exception.NotFound):
    message = 'No %(template)s for datastore %(datastore)s version ' \
              '%(version)s (looked for %(candidates)s in %(paths)s).'


class TemplateError(exception.TroveError):
    message = 'The configuration template %(template)s could not be ' \
              'rendered: %(reason)s'


def search_paths():
    """Directories searched, in order: the operator's, then ours."""
    paths = []
    if CONF.template_path:
        paths.append(CONF.template_path)
    paths.append(PACKAGED_TEMPLATES)
    return paths


def _version_parts(version):
    """Leading numeric parts of a version: '10.11.19' -> ['10', '11', '19']."""
    match = re.match(r'^\d+(\.\d+)*', version or '')
    return match.group(0).split('.') if match else []


def candidate_names(datastore_name, version_name, manager,
                    version_number=None, template=CONFIG_TEMPLATE):
    """Template names to try, most specific first, without repeats."""
    names = []
    if datastore_name:
        if version_name:
            names.append('%s/%s/%s' % (datastore_name, version_name,
                                       template))
        parts = (_version_parts(version_number)
                 or _version_parts(version_name))
        if len(parts) >= 2:
            names.append('%s/%s.%s/%s' % (datastore_name, parts[0],
                                          parts[1], template))
        if parts:
            names.append('%s/%s/%s' % (datastore_name, parts[0], template))
        names.append('%s/%s' % (datastore_name, template))
    if manager:
        names.append('%s/%s' % (manager, template))
    unique = []
    for name in names:
        if name not in unique:
            unique.append(name)
    return unique


_ENVIRONMENTS = {}
_ENVIRONMENTS_LOCK = threading.Lock()


def _environment(directory):
    """One environment per template directory, so a template is
    compiled once, not at every build (about 50 ms of CPU each); Jinja2
    checks the file's modification time, so an operator's edit applies
    to the next build."""
    key = str(directory)
    with _ENVIRONMENTS_LOCK:
        environment = _ENVIRONMENTS.get(key)
        if environment is None:
            environment = _ENVIRONMENTS[key] = jinja2.Environment(
                loader=jinja2.FileSystemLoader(key),
                keep_trailing_newline=True,
                autoescape=False)
        return environment


def find_template(datastore_name, version_name, manager,
                  version_number=None, template=CONFIG_TEMPLATE,
                  paths=None):
    """The Jinja2 template that applies; TemplateNotFound otherwise."""
    paths = paths if paths is not None else search_paths()
    names = candidate_names(datastore_name, version_name, manager,
                            version_number, template)
    # Which file applies is looked up every time (an operator may have
    # dropped a more specific one since); compiling it is not.
    for name in names:
        for directory in paths:
            if os.path.isfile(os.path.join(directory, name)):
                return _compiled(directory, name)
    raise TemplateNotFound(
        template=template, datastore=datastore_name or manager,
        version=version_name or version_number,
        candidates=', '.join(names),
        paths=', '.join(str(path) for path in paths))


def _compiled(directory, name):
    try:
        return _environment(directory).get_template(name)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(template=error.filename or error.name,
                            reason='line %s: %s' % (error.lineno,
                                                    error.message)) from error


def server_id(instance_id):
    """A positive 31-bit int, stable for an instance (MySQL server_id)."""
    return zlib.crc32(instance_id.encode('utf-8')) % (2 ** 31 - 1) + 1


def render_config(flavor, datastore_name, version_name, manager,
                  instance_id, version_number=None, template=CONFIG_TEMPLATE,
                  paths=None):
    """The rendered configuration of an instance for ``flavor``."""
    found = find_template(datastore_name, version_name, manager,
                          version_number, template, paths)
    datastore = {
        'name': datastore_name or manager,
        'manager': manager,
        'version': version_number or version_name,
        'semantic_version': '.'.join(
            _version_parts(version_number or version_name)),
    }
    try:
        return found.render(flavor=dict(flavor or {}), datastore=datastore,
                            server_id=server_id(instance_id))
    except jinja2.TemplateError as error:
        raise TemplateError(template=found.filename or found.name,
                            reason=error) from error
