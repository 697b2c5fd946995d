"""Five-field cron expressions (minute hour day-of-month month weekday), in
UTC, for backup schedules.

Each field is ``*``, a number, a range ``a-b``, a list ``a,b`` or any of
those with a step (``*/15``, ``0-30/10``); weekday 0 and 7 are Sunday.
As in cron, when both day fields are restricted a day matching either
one is due.
"""

import datetime

# (name, lowest, highest) of each field.
FIELDS = (('minute', 0, 59), ('hour', 0, 23), ('day of month', 1, 31),
          ('month', 1, 12), ('day of week', 0, 7))
# How far ahead a next run is looked for (a 29 February needs 4 years).
HORIZON_DAYS = 366 * 5


class CronError(ValueError):
    """A cron expression that cannot be parsed."""


def _values(text, name, low, high):
    values = set()
    for part in text.split(','):
        step = 1
        if '/' in part:
            part, _slash, step_text = part.partition('/')
            if not step_text.isdigit() or int(step_text) < 1:
                raise CronError('invalid step %r in the %s field'
                                % (step_text, name))
            step = int(step_text)
        if part == '*':
            first, last = low, high
        elif '-' in part:
            first_text, _dash, last_text = part.partition('-')
            if not (first_text.isdigit() and last_text.isdigit()):
                raise CronError('invalid range %r in the %s field'
                                % (part, name))
            first, last = int(first_text), int(last_text)
        elif part.isdigit():
            first = last = int(part)
        else:
            raise CronError('invalid value %r in the %s field' % (part, name))
        if not low <= first <= last <= high:
            raise CronError('%r is outside %d-%d in the %s field'
                            % (part, low, high, name))
        values.update(range(first, last + 1, step))
    return values


class Cron:
    """A parsed expression; ``next_after(moment)`` is its next run."""

    def __init__(self, expression):
        fields = str(expression).split()
        if len(fields) != 5:
            raise CronError('a cron expression has 5 fields (minute hour '
                            'day-of-month month day-of-week), got %d'
                            % len(fields))
        (self.minutes, self.hours, self.days, self.months,
         weekdays) = [_values(text, *field)
                      for text, field in zip(fields, FIELDS, strict=True)]
        # Python's weekday(): Monday 0 ... Sunday 6; cron's: Sunday 0/7.
        self.weekdays = {(day - 1) % 7 for day in weekdays}
        self.any_day = fields[2] == '*'
        self.any_weekday = fields[4] == '*'

    def _day_matches(self, moment):
        in_month = moment.day in self.days
        in_week = moment.weekday() in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def next_after(self, moment):
        """The first due minute strictly after ``moment`` (naive UTC)."""
        moment = moment.replace(second=0, microsecond=0) + \
            datetime.timedelta(minutes=1)
        horizon = moment + datetime.timedelta(days=HORIZON_DAYS)
        while moment < horizon:
            if moment.month not in self.months or \
                    not self._day_matches(moment):
                moment = (moment + datetime.timedelta(days=1)).replace(
                    hour=0, minute=0)
            elif moment.hour not in self.hours:
                moment = (moment + datetime.timedelta(hours=1)).replace(
                    minute=0)
            elif moment.minute not in self.minutes:
                moment += datetime.timedelta(minutes=1)
            else:
                return moment
        raise CronError('the expression is never due')
