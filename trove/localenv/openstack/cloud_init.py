"""What cloud-init would do with a server's user-data, for the stack's
stand-in hypervisor (and the tests of the user-data the provider sends).

``read_user_data`` splits a MIME multipart (or a single part) the way
cloud-init's user-data handlers do and merges the cloud-config parts'
``write_files``; ``write_files`` then writes them under a root directory
instead of ``/``. Only the pieces the openstack provider sends are
understood: cloud-config ``write_files`` (plain or base64) and shell
scripts, which are returned, not run.
"""

import base64
import dataclasses
import email
import os

import yaml


@dataclasses.dataclass
class UserData:
    files: dict          # path -> {'content', 'owner', 'permissions'}
    scripts: list        # shell script texts, in order
    parts: list          # content types, in order


def _cloud_config(text):
    data = yaml.safe_load(text) or {}
    files = {}
    for entry in data.get('write_files') or ():
        content = entry.get('content', '')
        if entry.get('encoding') in ('b64', 'base64'):
            content = base64.b64decode(content).decode('utf-8')
        files[entry['path']] = {'content': content,
                                'owner': entry.get('owner', 'root:root'),
                                'permissions': entry.get('permissions',
                                                         '0644')}
    return files


def read_user_data(text):
    if isinstance(text, bytes):
        text = text.decode('utf-8')
    message = email.message_from_string(text)
    parts = ([part for part in message.walk()
              if not part.is_multipart()] if message.is_multipart()
             else None)
    result = UserData(files={}, scripts=[], parts=[])
    if parts is None:
        kind = ('text/cloud-config' if text.startswith('#cloud-config')
                else 'text/x-shellscript')
        parts = [(kind, text)]
    else:
        parts = [(part.get_content_type(),
                  part.get_payload(decode=True).decode('utf-8'))
                 for part in parts]
    for kind, payload in parts:
        result.parts.append(kind)
        if kind == 'text/cloud-config':
            # Later parts append their files (our merge_how).
            result.files.update(_cloud_config(payload))
        elif kind == 'text/x-shellscript':
            result.scripts.append(payload)
    return result


def write_files(user_data, root_dir):
    """Write the files under ``root_dir``; returns {path: written path}."""
    written = {}
    for path, entry in user_data.files.items():
        target = os.path.join(root_dir, path.lstrip('/'))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, 'w') as output:
            output.write(entry['content'])
        os.chmod(target, int(entry['permissions'], 8))
        written[path] = target
    return written
