"""Datastore managers of the guest agent, one package per engine.

``manager.Manager`` is the RPC endpoint shared by every engine;
``engine.Engine`` the process and file handling shared by every engine.
Each engine package adds its ``app`` (the Engine), ``admin`` (SQL
administration as os_admin) and ``manager`` (the class named in
trove.common.datastore_registry).
"""
