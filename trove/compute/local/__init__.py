"""The local compute provider: instances as processes on this machine.

Layout of an instance directory ``<[local] instances_dir>/<instance id>/``
(the only state of the provider; see ``layout``):

* ``etc/``    guest_info.conf and trove-guestagent.conf (injected)
* ``server.json``  the server record: address, flavor, status intent
* ``volume/``  the data volume (``volume.json`` beside it holds its size)
* ``run/``    the agent's state dir: pid files of every process started
  for the instance (the guest agent, its engine) and ``agent.ready``;
  deleting the server stops them all
* ``logs/``   guest agent and engine logs
* ``agent.was_ready``  the agent served since its last start (a later
  death then reads SHUTDOWN rather than ERROR)

``<instances_dir>/.address.lock`` serialises address allocation.
"""
