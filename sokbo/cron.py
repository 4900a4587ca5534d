"""Five-field cron expressions read as cron reads them, turned into APScheduler 3 triggers.

APScheduler 3's `CronTrigger.from_crontab` differs from cron in two ways that would run
jobs on the wrong days without a word: it numbers weekdays from Monday (0 = Monday,
where cron's 0 and 7 are Sunday), and it requires both the day of the month and the day
of the week to match where cron runs when either does. The weekday field is therefore
rewritten as names, and an expression that restricts both day fields is refused.
"""

from __future__ import annotations

import re

from apscheduler.triggers.cron import CronTrigger

# cron's weekday numbers: 0 (and 7) is Sunday.
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_PART = re.compile(r"^(?:(\*)|(\w+)(?:-(\w+))?)(?:/(\d+))?$")


class CronError(ValueError):
    """A cron expression that cron and APScheduler would not read alike."""


def cron_trigger(expression: str, timezone: str, jitter: float | None = None) -> CronTrigger:
    """The trigger for a five-field cron expression in `timezone`, with up to `jitter`
    seconds of random delay per run. Raises ValueError for a malformed expression."""
    fields = expression.split()
    if len(fields) != 5:
        raise CronError(f"{len(fields)} fields where cron has five")
    minute, hour, day, month, weekday = fields
    if day != "*" and weekday != "*":
        raise CronError(
            "both the day of the month and the day of the week are set; cron runs when "
            "either matches, this scheduler only when both do: set one and leave the "
            "other '*'"
        )
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=weekday if weekday == "*" else _weekday_names(weekday),
        timezone=timezone,
        jitter=jitter,
    )


def _weekday_names(field: str) -> str:
    """cron's weekday field (`1-5`, `0,6`, `*/2`, `mon-fri`) as a list of day names."""
    days: set[int] = set()
    for part in field.lower().split(","):
        match = _PART.match(part)
        if match is None:
            raise CronError(f"day of week: cannot read {part!r}")
        star, first, last, step = match.groups()
        if star:
            start, end = 0, 6
        else:
            start = _weekday(first)
            # `a/n` is `a-7/n`, as in Vixie cron (7 stands for Sunday again).
            end = _weekday(last) if last else (7 if step else start)
        if start > end:
            raise CronError(f"day of week: range {part!r} runs backwards")
        stride = int(step) if step else 1
        if stride < 1:
            raise CronError(f"day of week: step {part!r} must be at least 1")
        days.update(day % 7 for day in range(start, end + 1, stride))
    return ",".join(_CRON_DAYS[day] for day in sorted(days))


def _weekday(token: str) -> int:
    if token.isdigit():
        number = int(token)
        if number > 7:
            raise CronError(f"day of week: {token} is not 0-7")
        return number
    if token in _CRON_DAYS:
        return _CRON_DAYS.index(token)
    raise CronError(f"day of week: {token!r} is not a day (0-7 or sun-sat)")
