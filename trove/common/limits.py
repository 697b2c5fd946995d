"""Request rate limits per project and verb (leaky buckets).

Each limit is a bucket per project that fills by ``unit / value`` seconds
per request and leaks one unit per second; a request that would overflow
it is refused with 413 and a ``Retry-After``. The water levels live in a
``RateStore``.
"""

import dataclasses
import math
import re
import threading
import time

from trove.common import faults
from trove.common import views
from trove.common import wsgi
from trove.conf import CONF

UNITS = {'SECOND': 1, 'MINUTE': 60, 'HOUR': 3600, 'DAY': 86400}


@dataclasses.dataclass
class Limit:
    verb: str
    uri: str
    regex: str
    value: int
    unit: str
    remaining: int = 0
    next_available: float = 0.0

    def __post_init__(self):
        self._pattern = re.compile(self.regex)
        self.remaining = self.value

    @property
    def key(self):
        return '%s %s' % (self.verb, self.uri)

    @property
    def unit_seconds(self):
        return UNITS[self.unit]

    def matches(self, verb, path):
        return verb == self.verb and self._pattern.match(path) is not None

    def to_view(self):
        return {
            'verb': self.verb,
            'uri': self.uri,
            'regex': self.regex,
            'value': self.value,
            'remaining': self.remaining,
            'unit': self.unit,
            'nextAvailable': views.isotime_z(
                _utc_datetime(self.next_available or time.time())),
        }


def _utc_datetime(timestamp):
    import datetime
    return datetime.datetime.fromtimestamp(
        timestamp, datetime.timezone.utc).replace(tzinfo=None)


def default_limits():
    return [
        Limit('POST', '*', '.*', CONF.http_post_rate, 'MINUTE'),
        Limit('PUT', '*', '.*', CONF.http_put_rate, 'MINUTE'),
        Limit('DELETE', '*', '.*', CONF.http_delete_rate, 'MINUTE'),
        Limit('GET', '*', '.*', CONF.http_get_rate, 'MINUTE'),
        # Matched against the path under the project, so management
        # routes are really limited (upstream's regex never matches).
        Limit('POST', '*/mgmt', '^/mgmt', CONF.http_mgmt_post_rate, 'MINUTE'),
    ]


class MemoryRateStore:
    """Water levels in this process only."""

    def __init__(self):
        self._levels = {}
        self._lock = threading.Lock()

    def fill(self, key, capacity, cost, now, commit=True):
        """Add ``cost`` to bucket ``key``; the level after, or the delay
        (seconds, > 0) until it would fit, as (level, delay)."""
        with self._lock:
            level, stamp = self._levels.get(key, (0.0, now))
            level = max(0.0, level - (now - stamp))
            if level + cost > capacity:
                self._levels[key] = (level, now)
                return level, level + cost - capacity
            if commit:
                self._levels[key] = (level + cost, now)
            return level + cost, 0.0

    def level(self, key, now):
        with self._lock:
            level, stamp = self._levels.get(key, (0.0, now))
            return max(0.0, level - (now - stamp))


def default_store():
    """The store shared by this host's API workers (see rate_store)."""
    import os

    from trove.common import rate_store
    if CONF.rate_limit_store == 'memory':
        return MemoryRateStore()
    return rate_store.FileRateStore(
        os.path.join(CONF.state_path, 'api-rate-limits'))


class RateLimitingMiddleware(wsgi.Middleware):

    def __init__(self, application, store=None, limits=None):
        super().__init__(application)
        self.store = store or default_store()
        self.limits = limits

    def _limits(self):
        return self.limits if self.limits is not None else default_limits()

    def process(self, request):
        context = request.context
        project = context.project_id if context else None
        if project is None:
            return None
        path = request.path_info[len('/' + project):] or '/'
        now = time.time()
        limits = self._limits()
        # Only GET /limits shows the buckets a request does not fill;
        # reading them for every request would lock the store for nothing.
        shows_limits = path.rstrip('/') == '/limits'
        for limit in limits:
            cost = limit.unit_seconds / limit.value
            key = '%s:%s' % (project, limit.key)
            if limit.matches(request.method, path):
                level, delay = self.store.fill(key, limit.unit_seconds, cost,
                                               now)
                if delay > 0:
                    return self._refuse(request, limit, delay)
            elif shows_limits:
                level = self.store.level(key, now)
            else:
                continue
            limit.remaining = max(0, int(math.floor(
                (limit.unit_seconds - level) / cost)))
            limit.next_available = now + max(0.0, level + cost -
                                             limit.unit_seconds)
        request.environ['trove.limits'] = limits
        return None

    @staticmethod
    def _refuse(request, limit, delay):
        retry_after = int(math.ceil(delay))
        message = ('Only %d %s request(s) can be made to %s every %s.'
                   % (limit.value, limit.verb, limit.uri,
                      limit.unit.lower()))
        return faults.fault_response(
            request, 413, 'This request was rate-limited.',
            headers={'Retry-After': retry_after}, details=message,
            retryAfter=str(retry_after))
