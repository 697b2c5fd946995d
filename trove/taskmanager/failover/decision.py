"""The failover decision, as pure functions of what the monitor saw.

* ``confirmed``: a suspected primary (``failover_probe_failures``
  consecutive failed probes) has failed when the provider says its server
  is gone, or when every replica that answers reports its replication
  connection broken (Orchestrator's DeadMaster rule). A primary whose
  replicas still stream from it is alive, whatever the probes say (a
  network problem between the taskmanager and the primary); a primary
  none of whose replicas answers is not confirmed either.
* ``choose``: the eligible replicas are those that answered, are
  replicas following the failed primary, hold no transaction of their
  own, and are within ``max_lag`` of the most advanced position anyone
  received (bytes of WAL; for GTID, transactions); the most advanced
  wins. In sync mode every replica must answer (any one of them may hold
  the last acknowledged commits). With none eligible, the reason says
  why each was left out.

A *report* is ``{"id", "answered", "status"}`` where status is the
guest's ``get_replication_status`` ({"role", "position": {"number",
"value"}, "connected", "source_host"}) or None.
"""


def confirmed(provider_gone, reports):
    """(failed?, why) of a suspected primary."""
    if provider_gone:
        return True, 'its server is gone'
    answering = [r for r in reports if r['answered']]
    if not answering:
        return False, 'none of its replicas answers'
    streaming = [r['id'] for r in answering if r['status'].get('connected')]
    if streaming:
        return False, ('replica(s) %s still stream from it'
                       % ', '.join(streaming))
    return True, ('its engine does not answer and its replica(s) %s lost '
                  'their replication connection' % ', '.join(
                      r['id'] for r in answering))


def _position(report):
    status = report['status'] or {}
    # How far it received: a promoted replica applies all of it first.
    return status.get('received') or status.get('position') or {}


def _number(report):
    return int(_position(report).get('number') or 0)


def choose(reports, primary_hosts, max_lag, mode='async'):
    """(candidate id or None, reason, {id: lag}) among ``reports``. In
    sync mode every replica must answer: one that does not may be the
    one holding the last acknowledged commits."""
    answering = [r for r in reports if r['answered'] and r['status']]
    if not answering:
        return None, 'no replica answers', {}
    silent = [r['id'] for r in reports if r not in answering]
    if mode == 'sync' and silent:
        return None, ('replication is synchronous and replica(s) %s do not '
                      'answer: they may hold acknowledged transactions the '
                      'others lack' % ', '.join(silent)), {}
    newest = max(_number(r) for r in answering)
    lags = {r['id']: newest - _number(r) for r in answering}
    left_out = []
    eligible = []
    for report in reports:
        status = report['status'] or {}
        why = None
        if not report['answered'] or not status:
            why = 'does not answer'
        elif status.get('role') != 'replica':
            why = 'is not a replica'
        elif primary_hosts and status.get('source_host') and \
                status['source_host'] not in primary_hosts:
            why = 'follows %s, not the failed primary' % \
                status['source_host']
        elif status.get('extra_transactions'):
            why = 'holds transactions the primary lacked (%s)' % \
                status['extra_transactions']
        elif lags[report['id']] > max_lag:
            why = 'is %d behind (more than max_lag_on_failover %d)' % (
                lags[report['id']], max_lag)
        if why:
            left_out.append('%s %s' % (report['id'], why))
        else:
            eligible.append(report)
    if not eligible:
        return None, 'no replica is eligible: %s' % '; '.join(left_out), \
            lags
    best = max(eligible, key=_number)
    return best['id'], 'most advanced eligible replica (at %s)' % (
        _position(best).get('value')), lags
