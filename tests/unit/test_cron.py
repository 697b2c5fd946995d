"""Cron expressions of backup schedules."""

import datetime

import pytest

from trove.backup import cron

T = datetime.datetime


@pytest.mark.parametrize('expression, after, expected', [
    ('* * * * *', T(2026, 1, 1, 10, 0, 30), T(2026, 1, 1, 10, 1)),
    ('*/15 * * * *', T(2026, 1, 1, 10, 1), T(2026, 1, 1, 10, 15)),
    ('0 3 * * *', T(2026, 1, 1, 3, 0), T(2026, 1, 2, 3, 0)),
    ('30 2 1 * *', T(2026, 1, 15), T(2026, 2, 1, 2, 30)),
    # 4 January 2026 is a Sunday (0 and 7 both name it).
    ('0 0 * * 0', T(2026, 1, 1), T(2026, 1, 4)),
    ('0 0 * * 7', T(2026, 1, 1), T(2026, 1, 4)),
    ('0 12 * * 1-5', T(2026, 1, 2, 13), T(2026, 1, 5, 12)),
    # Both day fields restricted: either one is due.
    ('0 0 13 * 5', T(2026, 1, 1), T(2026, 1, 2)),
    ('0 0 29 2 *', T(2026, 1, 1), T(2028, 2, 29)),
    ('5,10 1-2/1 * 12 *', T(2026, 12, 31, 2, 10), T(2027, 12, 1, 1, 5)),
])
def test_next_run(expression, after, expected):
    assert cron.Cron(expression).next_after(after) == expected


@pytest.mark.parametrize('expression', [
    '', '* * * *', '60 * * * *', '* 24 * * *', '* * 0 * *', '*/0 * * * *',
    'a * * * *', '5-1 * * * *', '* * 31 2 *'])
def test_invalid_expressions_are_refused(expression):
    with pytest.raises(cron.CronError):
        cron.Cron(expression).next_after(T(2026, 1, 1))
