"""The guest agent: one process per instance, owning one database engine.

It serves the RPC topic ``guestagent.<instance id>``, runs its engine as
detached processes, and reports to the control plane only through the
conductor's RPC API. It never imports the control-plane database layers
(trove.db, trove.instance, trove.taskmanager, trove.extensions) and holds
no control-database credentials.
"""
