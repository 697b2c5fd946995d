"""Rows more than one service writes: instance faults, service statuses,
root-enabled history and work claims.

The API, the taskmanager and the conductor all record these; keeping them
here (below ``trove.instance``, beside ``trove.db``) lets each service use
them without importing another service's package.
"""
