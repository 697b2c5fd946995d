"""Cloud-init user-data that gives a new server its guest agent's files.

Nova dropped the ``personality`` files upstream Trove once injected, so
the files travel as user-data: a MIME multipart whose ``text/cloud-config``
part has ``write_files`` entries for ``guest_info.conf`` and
``trove-guestagent.conf`` (under ``injected_config_location``, owned by
``injected_config_owner:injected_config_group``, base64 so any byte
survives), plus the datastore's own part from
``<cloudinit_location>/<manager>.cloudinit`` when that file exists (a
shell script or a cloud-config; ours comes after it and appends its
files to a cloud-config's rather than replacing them).

The cloud-config is written as JSON, which YAML parsers (cloud-init's
among them) read as it is. Nothing here talks to Nova.
"""

import base64
import email.mime.multipart
import email.mime.text
import json
import os

from trove.common import exception
from trove.conf import CONF

# Nova refuses user_data over 65535 bytes once base64-encoded.
NOVA_USER_DATA_LIMIT = 65535
FILE_MODE = '0640'
# Our part is merged into an earlier cloud-config part by appending lists
# (write_files) and keeping that part's other keys.
MERGE_HOW = [{'name': 'list', 'settings': ['append']},
             {'name': 'dict', 'settings': ['no_replace', 'recurse_list']}]


class UserDataTooLarge(exception.ComputeError):
    message = ('The files injected into the server make %(size)d bytes of '
               'user-data, over Nova\'s limit of %(limit)d; shorten the '
               'guest config file (%(guest_config)s) or the datastore\'s '
               'cloud-init file.')


def injected_files(guest_files):
    """{path in the server: content} of a GuestFiles value."""
    location = CONF.injected_config_location
    guest_info = CONF.guest_info
    info_path = guest_info if '/' in guest_info else os.path.join(
        location, guest_info)
    files = {info_path: guest_files.guest_info,
             os.path.join(location, 'trove-guestagent.conf'):
             guest_files.guest_config}
    for name, content in (getattr(guest_files, 'extra', None) or {}).items():
        files[name if name.startswith('/') else
              os.path.join(location, name)] = content
    return files


def cloud_config(files):
    """The ``#cloud-config`` text writing ``files`` ({path: content})."""
    owner = '%s:%s' % (CONF.injected_config_owner,
                       CONF.injected_config_group)
    entries = [{'path': path, 'encoding': 'b64',
                'content': base64.b64encode(
                    content.encode('utf-8')).decode('ascii'),
                'owner': owner, 'permissions': FILE_MODE}
               for path, content in sorted(files.items())]
    return '#cloud-config\n' + json.dumps(
        {'write_files': entries, 'merge_how': MERGE_HOW}, indent=1) + '\n'


def datastore_part(datastore_manager):
    """The datastore's own cloud-init text, or None."""
    path = os.path.join(CONF.cloudinit_location,
                        '%s.cloudinit' % datastore_manager)
    try:
        with open(path) as source:
            return source.read()
    except FileNotFoundError:
        return None


def _subtype(text):
    first = text.lstrip().split('\n', 1)[0]
    if first.startswith('#cloud-config'):
        return 'cloud-config'
    if first.startswith('#!'):
        return 'x-shellscript'
    if first.startswith('#cloud-boothook'):
        return 'cloud-boothook'
    return 'x-shellscript'


def build(guest_files, datastore_manager):
    """The user-data (str) of a new server running a guest agent."""
    message = email.mime.multipart.MIMEMultipart()
    extra = datastore_part(datastore_manager)
    if extra:
        part = email.mime.text.MIMEText(extra, _subtype(extra), 'utf-8')
        part.add_header('Content-Disposition', 'attachment',
                        filename='%s.cloudinit' % datastore_manager)
        message.attach(part)
    ours = email.mime.text.MIMEText(
        cloud_config(injected_files(guest_files)), 'cloud-config', 'utf-8')
    ours.add_header('Content-Disposition', 'attachment',
                    filename='trove-guest-files.cfg')
    message.attach(ours)
    text = message.as_string()
    size = len(base64.b64encode(text.encode('utf-8')))
    if size > NOVA_USER_DATA_LIMIT:
        raise UserDataTooLarge(size=size, limit=NOVA_USER_DATA_LIMIT,
                               guest_config=CONF.guest_config)
    return text
