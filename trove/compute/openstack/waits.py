"""Bounded waits of the openstack provider.

Every wait on Nova or Cinder polls every ``POLL_INTERVAL`` seconds until
its condition holds, and gives up with a ComputeError naming what did
not happen at the deadline the caller passes (an upstream option:
``server_delete_time_out``, ``volume_time_out``, ``resize_time_out``,
``reboot_time_out``...). Nothing here knows a service.
"""

import time

from trove.common import exception

POLL_INTERVAL = 0.5


def wait_for(read, done, timeout, what):
    """Poll ``read()`` until ``done(value)``; that value, or ComputeError
    at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() >= deadline:
            raise exception.ComputeError(
                '%s did not happen within %s seconds.' % (what, timeout))
        time.sleep(POLL_INTERVAL)


def wait_gone(get, not_found, timeout, what):
    """Poll ``get()`` until it raises ``not_found``."""
    def gone():
        try:
            get()
        except not_found:
            return True
        return False
    wait_for(gone, bool, timeout, what)
