"""The taskmanager's long operations, one module per flow.

Each flow is a small class whose ``run`` calls one-job steps in order
and ends the instance in a terminal state (task NONE, or an error task
with a fault); ``common`` holds what they share.
"""
