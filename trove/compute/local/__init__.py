"""The local compute provider: instances as processes on this machine.

A server is a directory ``<[local] instances_dir>/<server id>/`` plus the
guest agent process started from it; a volume is a directory
``<[local] volumes_dir>/<volume id>/``. Those directories are the only
state of the provider (see ``layout``):

* ``<server>/etc/``  guest_info.conf and trove-guestagent.conf (injected)
* ``<server>/server.json``  the record: address, flavor, metadata (the
  trove instance id), status intent
* ``<server>/run/``  the agent's state dir: pid files of every process
  started for the server (the guest agent, its engine), ``agent.ready``
  and ``agent.served``; deleting the server stops them all
* ``<server>/logs/``  guest agent and engine logs
* ``<volume>/volume.json`` and ``<volume>/mount/``  a data volume

``<instances_dir>/.address.lock`` serialises address allocation,
``<instances_dir>/.server-groups/`` holds server groups and
``<instances_dir>/.engine-templates/`` the freshly initialised data
directories the agents copy instead of initialising their own.
"""

from trove.compute import base


def provider():
    """The local provider bundle."""
    from trove.compute.local import compute, flavors, volume
    return base.Provider(name='local',
                         compute=compute.LocalComputeDriver(),
                         volumes=volume.LocalVolumeDriver(),
                         flavors=flavors.LocalFlavors())
