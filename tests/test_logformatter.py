"""Log lines name an item by its URL: a page's whole HTML never reaches the log."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import scrapy
from scrapy.exceptions import DropItem
from scrapy.logformatter import LogFormatterResult

from sokbo.crawl.logformatter import SokboLogFormatter
from sokbo.models import Page

HTML = "<!DOCTYPE html><html><body>" + "본문 " * 2000 + "</body></html>"
PAGE = Page("src", "https://a.example/1", "https://a.example/1?x", HTML, datetime.now(UTC))


def rendered(result: LogFormatterResult) -> str:
    return result["msg"] % result["args"]


def test_an_item_error_names_the_page_by_its_url() -> None:
    result = SokboLogFormatter().item_error(PAGE, ValueError("boom"), None, scrapy.Spider("s"))
    assert rendered(result) == "Error processing https://a.example/1"
    assert result["level"] == logging.ERROR


def test_a_dropped_item_is_its_reason() -> None:
    spider = scrapy.Spider("s")
    reason = DropItem("not an article: https://a.example/1", log_level="WARNING")
    result = SokboLogFormatter().dropped(PAGE, reason, None, spider)
    assert rendered(result) == "Dropped: not an article: https://a.example/1"
