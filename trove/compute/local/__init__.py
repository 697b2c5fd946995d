"""The local compute provider: instances as processes on this machine.

Layout of an instance directory ``<[local] instances_dir>/<instance id>/``:

* ``etc/``    guest_info.conf and trove-guestagent.conf (injected)
* ``server.json``  the server record: address, flavor, status intent
* ``volume/``  the data volume (``volume.json`` beside it holds its size)
* ``run/``    pid files of every process started for the instance (the
  guest agent, its engine); deleting the server stops them all
* ``logs/``   guest agent and engine logs
"""
