"""What trove-local runs for dashboards when Keystone runs beside it.

With ``--keystone`` the local provider's compute and volume routes run
(``compute_routes_runner``) and are in the catalog, Swift is in it with
``--swift`` (and withdrawn without), and with ``--horizon`` the dashboard
runs (``dashboard``). Without Keystone none of them runs. This module
decides which of those processes run and what the catalog offers; it
prints nothing and leaves Keystone, Swift and the Trove services to their
own runners.
"""

import os

from trove.localenv import compute_routes_runner
from trove.localenv import dashboard
from trove.localenv import swift_runner

ROUTES = 'compute-routes'
HORIZON = 'horizon'


def catalog(state_dir, with_swift):
    """(entries to offer, services to withdraw) for Keystone's catalog
    besides the database: entries are (name, type, URL template), withdrawn
    services (name, type)."""
    offered = compute_routes_runner.catalog_entries(state_dir)
    if with_swift:
        return offered + [swift_runner.catalog_entry(state_dir)], []
    return offered, [swift_runner.CATALOG_SERVICE]


def start(state_dir, trove_conf, identity, with_horizon):
    """Start what ``identity`` (None: no Keystone) and ``with_horizon``
    ask for and stop the rest; (the dashboard's URL or None, names of the
    processes stopped)."""
    board = dashboard.Dashboard(state_dir)
    stopped = []
    if not (with_horizon and identity) and board.stop():
        stopped.append(HORIZON)
    if identity is None:
        if compute_routes_runner.stop(state_dir):
            stopped.append(ROUTES)
        return None, stopped
    compute_routes_runner.start(state_dir, trove_conf)
    if not with_horizon:
        return None, stopped
    board.start(identity.auth_url)
    return board.url, stopped


def status(state_dir, keystone_dir):
    """{process name: pid or None} of what was set up in this state dir."""
    running = {}
    if os.path.isdir(keystone_dir):
        running[ROUTES] = compute_routes_runner.running_pid(state_dir)
    board = dashboard.Dashboard(state_dir)
    if os.path.isdir(board.dir):
        running[HORIZON] = board.running_pid()
    return running


def stop(state_dir):
    """Stop the dashboard and the routes by pid; [(name, pid)] stopped."""
    pids = [(HORIZON, dashboard.Dashboard(state_dir).stop()),
            (ROUTES, compute_routes_runner.stop(state_dir))]
    return [(name, pid) for name, pid in pids if pid]
