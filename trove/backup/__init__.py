"""Backups and backup strategies: API controllers, models and views.

``failure`` is also used by guest agents; it and this package's
``__init__`` must stay free of control-plane imports (database, RPC).
"""
