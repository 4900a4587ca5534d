"""Five-field cron expressions read as cron reads them, turned into APScheduler 3 triggers.

APScheduler 3's `CronTrigger.from_crontab` differs from cron in two ways that would run
jobs on the wrong days without a word: it numbers weekdays from Monday (0 = Monday,
where cron's 0 and 7 are Sunday), and it requires both the day of the month and the day
of the week to match where cron runs when either does. The weekday field is therefore
rewritten as names, and an expression that restricts both day fields is refused. Every
field is read here first, so that a mistake is named by its field and reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from apscheduler.triggers.cron import CronTrigger

# cron's weekday numbers: 0 (and 7) is Sunday.
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_PART = re.compile(r"^(?:(\*)|(\w+)(?:-(\w+))?)(?:/(\d+))?$")


class CronError(ValueError):
    """A cron expression that cannot be read, or that cron and APScheduler would not read
    alike; the message names the field and the reason (`minute: 61 is out of range 0-59`)."""


def cron_trigger(expression: str, timezone: str, jitter: float | None = None) -> CronTrigger:
    """The trigger for a five-field cron expression in `timezone`, with up to `jitter`
    seconds of random delay per run. Raises CronError, naming the field and the reason,
    for a malformed expression."""
    fields = expression.split()
    if len(fields) != 5:
        raise CronError(f"{len(fields)} fields where cron has five")
    minute, hour, day, month, weekday = fields
    # Read every field as cron would, so that a mistake is named by its field (APScheduler
    # alone says "the last value (61) is higher than the maximum value (59)").
    _values("minute", minute, 0, 59, _number("minute", 0, 59))
    _values("hour", hour, 0, 23, _number("hour", 0, 23))
    _values("day of month", day, 1, 31, _number("day of month", 1, 31))
    months = _values("month", month, 1, 12, _number("month", 1, 12, _MONTHS, "a month"))
    weekdays = {number % 7 for number in _values("day of week", weekday, 0, 7, _weekday)}
    day_names = ",".join(_CRON_DAYS[number] for number in sorted(weekdays))
    if day != "*" and weekday != "*":
        raise CronError(
            "both the day of the month and the day of the week are set; cron runs when "
            "either matches, this scheduler only when both do: set one and leave the "
            "other '*'"
        )
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            # APScheduler drops the step of a range of month names (`jan-jun/2` runs every
            # month from January to June): give it the months themselves.
            month="*" if month == "*" else ",".join(str(number) for number in sorted(months)),
            day_of_week="*" if weekday == "*" else day_names,
            timezone=timezone,
            jitter=jitter,
        )
    except ValueError as exc:  # whatever the checks above let through: still say why
        raise CronError(str(exc)) from None


def _values(name: str, field: str, low: int, high: int, read: Callable[[str], int]) -> set[int]:
    """The values a cron field (`5`, `1-5`, `0,30`, `*/10`, `5/15`) stands for; `read`
    turns one number or name into a value, refusing what the field cannot hold."""
    values: set[int] = set()
    for part in field.lower().split(","):
        match = _PART.match(part)
        if match is None:
            raise CronError(f"{name}: cannot read {part!r}")
        star, first, last, step = match.groups()
        if star:
            start, end = low, high
        else:
            start = read(first)
            # `a/n` is `a-<last>/n`, as in Vixie cron.
            end = read(last) if last else (high if step else start)
        if start > end:
            raise CronError(f"{name}: range {part!r} runs backwards")
        stride = int(step) if step else 1
        if stride < 1:
            raise CronError(f"{name}: step {part!r} must be at least 1")
        values.update(range(start, end + 1, stride))
    return values


def _number(
    name: str, low: int, high: int, names: tuple[str, ...] = (), noun: str = "a number"
) -> Callable[[str], int]:
    """A reader of one value of the field `name`: a number from `low` to `high` or one of
    `names` (standing for `low`, `low + 1`, ...)."""

    def read(token: str) -> int:
        if token.isdigit():
            number = int(token)
            if not low <= number <= high:
                raise CronError(f"{name}: {number} is out of range {low}-{high}")
            return number
        if token in names:
            return low + names.index(token)
        spelled = f"{low}-{high} or {names[0]}-{names[-1]}" if names else f"{low}-{high}"
        raise CronError(f"{name}: {token!r} is not {noun} ({spelled})")

    return read


def _weekday(token: str) -> int:
    if token.isdigit():
        number = int(token)
        if number > 7:
            raise CronError(f"day of week: {token} is not 0-7")
        return number
    if token in _CRON_DAYS:
        return _CRON_DAYS.index(token)
    raise CronError(f"day of week: {token!r} is not a day (0-7 or sun-sat)")
