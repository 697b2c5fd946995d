"""Server groups of the local provider (``locality``).

Every local server runs on this one machine, so affinity always holds
and anti-affinity never can (the driver refuses it). A group is still
recorded, as Nova records one, so an instance's locality is known and
its members can be listed: ``<instances_dir>/.server-groups/<id>.json``.
"""

import os
import uuid

from trove.compute import base
from trove.compute.local import layout


class LocalServerGroups:

    def __init__(self, instances_dir):
        self.dir = os.path.join(os.path.abspath(instances_dir),
                                '.server-groups')

    def _path(self, group_id):
        if not group_id or os.sep in group_id or group_id.startswith('.'):
            raise base.ServerGroupNotFound(group_id=group_id)
        return os.path.join(self.dir, group_id + '.json')

    def _locked(self):
        """Membership changes of concurrent builds never lose a member."""
        return layout.file_lock(self.dir)

    def create(self, name, policy):
        group = base.ServerGroup(id=str(uuid.uuid4()), name=name,
                                 policy=policy)
        with self._locked():
            layout.write_json(self._path(group.id), {
                'id': group.id, 'name': name, 'policy': policy,
                'members': []})
        return group

    def get(self, group_id):
        record = layout.read_json(self._path(group_id))
        if record is None:
            raise base.ServerGroupNotFound(group_id=group_id)
        return record

    def add_member(self, group_id, server_id):
        self._change_members(group_id, lambda members: members | {server_id})

    def remove_member(self, group_id, server_id):
        try:
            self._change_members(group_id,
                                 lambda members: members - {server_id})
        except base.ServerGroupNotFound:
            pass

    def _change_members(self, group_id, change):
        with self._locked():
            record = self.get(group_id)
            record['members'] = sorted(change(set(record['members'])))
            layout.write_json(self._path(group_id), record)

    def delete(self, group_id):
        with self._locked():
            path = self._path(group_id)
            if not os.path.exists(path):
                raise base.ServerGroupNotFound(group_id=group_id)
            os.unlink(path)
