"""The control database: models, queries and migrations.

Reached by the API, the taskmanager and the conductor; never by the guest
agent, which holds no credentials for it.
"""
