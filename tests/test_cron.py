"""Cron expressions run on the days cron would run them, not APScheduler 3's."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sokbo.config import Config
from sokbo.cron import CronError, cron_trigger

SEOUL = ZoneInfo("Asia/Seoul")
# A Sunday at noon in Seoul.
SUNDAY = datetime(2024, 6, 30, 12, 0, tzinfo=SEOUL)


def fire_days(expression: str, count: int = 7) -> list[str]:
    trigger = cron_trigger(expression, "Asia/Seoul")
    days, previous, now = [], None, SUNDAY
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        assert fire is not None
        days.append(fire.strftime("%a"))
        previous, now = fire, fire + timedelta(seconds=1)
    return days


@pytest.mark.parametrize(
    ("weekdays", "expected"),
    [
        ("0", ["Sun"]),
        ("7", ["Sun"]),
        ("1", ["Mon"]),
        ("1-5", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("mon-fri", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("5-7", ["Fri", "Sat", "Sun"]),
        ("0,6", ["Sat", "Sun"]),
        ("*/2", ["Sun", "Tue", "Thu", "Sat"]),
        ("1/3", ["Mon", "Thu", "Sun"]),
        ("SUN", ["Sun"]),
    ],
)
def test_weekdays_as_cron_numbers_them(weekdays: str, expected: list[str]) -> None:
    assert sorted(set(fire_days(f"0 9 * * {weekdays}", 10))) == sorted(expected)


def test_time_zone_and_fields() -> None:
    trigger = cron_trigger("30 6 * * *", "Asia/Seoul")
    fire = trigger.get_next_fire_time(None, SUNDAY)
    assert fire == datetime(2024, 7, 1, 6, 30, tzinfo=SEOUL)


def test_jitter_is_passed_on() -> None:
    assert cron_trigger("*/5 * * * *", "UTC", 30).jitter == 30


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 9 1 * 1", "both the day of the month and the day of the week"),
        ("0 9 * * 8", "8 is not 0-7"),
        ("0 9 * * fri-mon", "runs backwards"),
        ("0 9 * * funday", "not a day"),
        ("0 9 * *", "4 fields"),
        ("0 9 * * 1/0", "at least 1"),
    ],
)
def test_refused(expression: str, message: str) -> None:
    with pytest.raises(CronError, match=message):
        cron_trigger(expression, "UTC")


def test_the_config_names_the_problem() -> None:
    raw = {
        "source": [
            {
                "id": "a",
                "kind": "feed",
                "start_urls": ["https://a.example/"],
                "schedule": "0 9 1 * 1",
            }
        ]
    }
    with pytest.raises(ValueError, match=r"not a cron expression .* day of the week"):
        Config.model_validate(raw)
