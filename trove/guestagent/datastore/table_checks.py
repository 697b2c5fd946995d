"""What a backup records of its tables, and what a restore drill checks.

At backup time ``record`` counts the rows of every user table (the
engine's ``table_stats``): exactly (COUNT(*)) when the engine estimates
at most ``backup_row_count_exact_limit`` rows in all of them, else the
engine's estimates, and says which. Exact counts are taken before and
after the backup stream: a table whose count moved in between was being
written during the backup and is listed under ``changed`` (a drill does
not compare it; the backup holds it as of some moment in between).

In a restore drill's sandbox ``check`` reads the counts back the same
way and runs the user's query (``get_diagnostics``' ``checks``); the
taskmanager compares. Engine neutral; never raises for a check that
fails, it reports it.
"""

import time

from oslo_log import log as logging

from trove.conf import CONF

LOG = logging.getLogger(__name__)

EXACT, ESTIMATED = 'exact', 'estimated'


def choose_method(stats, admin):
    limit = CONF.backup_row_count_exact_limit
    if limit <= 0:
        return ESTIMATED
    return EXACT if stats.estimated_total(admin) <= limit else ESTIMATED


def count(engine, method=None):
    """(method, {table: rows}, truncated), or None without table stats."""
    stats = engine.table_stats()
    max_tables = CONF.backup_row_count_max_tables
    if stats is None or max_tables <= 0:
        return None
    admin = engine.admin()
    method = method or choose_method(stats, admin)
    counts, truncated = stats.row_counts(admin, method, max_tables)
    return method, counts, truncated


def begin(engine):
    """Counts before a backup streams (None if they cannot be taken)."""
    try:
        return count(engine)
    except Exception as error:
        LOG.warning('Row counts before the backup failed: %s', error)
        return None


def record(engine, before):
    """The ``row_counts`` a backup reports, from the counts ``before``
    it streamed and new ones taken now; None when none can be taken."""
    if before is None:
        return None
    method, first, truncated = before
    try:
        if method == EXACT:
            _method, last, truncated = count(engine, EXACT)
        else:
            last = first
    except Exception as error:
        LOG.warning('Row counts after the backup failed: %s', error)
        return None
    changed = sorted(name for name in set(first) | set(last)
                     if first.get(name) != last.get(name))
    tables = {name: rows for name, rows in last.items()
              if name not in changed}
    return {'method': method, 'tables': tables, 'changed': changed,
            'truncated': bool(truncated), 'counted_at': round(time.time())}


def check(engine, checks):
    """What a drill asked for in ``checks``: ``row_counts`` (the method
    the backup recorded with) and ``query`` (with ``database``)."""
    result = {}
    method = checks.get('row_counts')
    if method:
        try:
            _method, counts, truncated = count(engine, method) or (
                method, {}, False)
            result['row_counts'] = {'method': method, 'tables': counts}
        except Exception as error:
            result['row_counts'] = {'error': _describe(error)}
    query = checks.get('query')
    if query:
        stats = engine.table_stats()
        try:
            if stats is None:
                raise NotImplementedError('this datastore cannot run a '
                                          'check query')
            rows = stats.run_query(engine.admin(), query,
                                   checks.get('database'))
            result['query'] = {'rows': rows}
        except Exception as error:
            result['query'] = {'error': _describe(error)}
    return result


def _describe(error):
    text = str(error).strip().splitlines()
    return (text[-1] if text else type(error).__name__)[:500]
