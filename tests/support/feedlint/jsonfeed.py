"""The JSON Feed 1.1 lint."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from tests.support.feedlint.problems import Problem
from tests.support.feedlint.values import (
    MIME,
    NOT_XML_CHAR,
    html_problems,
    http_url_problem,
    rfc3339_problem,
    same_url,
)

_JSON_VERSIONS = ("https://jsonfeed.org/version/1.1", "https://jsonfeed.org/version/1")


class JsonLint:
    def __init__(self, feed_url: str) -> None:
        self.feed_url = feed_url
        self.problems: list[Problem] = []

    def add(self, rule: str, message: str, where: str) -> None:
        self.problems.append(Problem(rule, message, where))

    def run(self, data: bytes) -> list[Problem]:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.add("encoding", f"JSON Feed must be UTF-8: {exc.reason}", f"byte {exc.start}")
            return self.problems
        if text.startswith("\ufeff"):
            self.add("encoding", "a JSON Feed must not start with a byte order mark", "byte 0")
            text = text[1:]
        try:
            feed = json.loads(text)
        except json.JSONDecodeError as exc:
            self.add(
                "well-formed", f"not JSON: {exc.msg}", f"line {exc.lineno}, column {exc.colno}"
            )
            return self.problems
        if not isinstance(feed, dict):
            self.add("root", "a JSON Feed is a JSON object", "$")
            return self.problems
        for path, value in _strings(feed, "$"):
            for match in NOT_XML_CHAR.finditer(value):
                message = f"U+{ord(match.group()):04X} cannot be carried to XML or HTML readers"
                self.add("xml-char", message, path)
        self._feed(feed)
        return self.problems

    def _string(self, obj: dict[str, Any], key: str, path: str, *, required: bool) -> str | None:
        value = obj.get(key)
        if value is None:
            if required:
                self.add("missing-element", f"{key!r} is required", path)
            return None
        if not isinstance(value, str):
            self.add("json-type", f"{key!r} must be a string, not {type(value).__name__}", path)
            return None
        return value

    def _json_url(self, obj: dict[str, Any], key: str, path: str) -> None:
        value = self._string(obj, key, path, required=False)
        if value is not None:
            problem = http_url_problem(value)
            if problem:
                self.add("absolute-url", f"{key} {problem}", f"{path}.{key}")

    def _date(self, obj: dict[str, Any], key: str, path: str) -> None:
        value = self._string(obj, key, path, required=False)
        if value is not None:
            problem = rfc3339_problem(value, upper_case=False)
            if problem:
                self.add("rfc3339-date", problem, f"{path}.{key}")

    def _feed(self, feed: dict[str, Any]) -> None:
        version = self._string(feed, "version", "$", required=True)
        if version is not None and version not in _JSON_VERSIONS:
            self.add(
                "json-version", f"version {version!r} is not {_JSON_VERSIONS[0]!r}", "$.version"
            )
        title = self._string(feed, "title", "$", required=True)
        if title is not None and not title.strip():
            self.add("missing-element", "'title' must not be blank", "$.title")
        for key in ("home_page_url", "icon", "favicon", "next_url"):
            self._json_url(feed, key, "$")
        feed_url = self._string(feed, "feed_url", "$", required=False)
        if feed_url is None:
            self.add("self-link", f"no 'feed_url' naming the feed's own URL {self.feed_url}", "$")
        elif not same_url(feed_url, self.feed_url):
            message = f"feed_url is {feed_url!r}, but the feed is at {self.feed_url!r}"
            self.add("self-link", message, "$.feed_url")
        self._authors(feed, "$")
        hubs = feed.get("hubs")
        if hubs is not None:
            if not isinstance(hubs, list):
                self.add("json-type", "'hubs' must be an array", "$.hubs")
            else:
                for index, hub in enumerate(hubs):
                    path = f"$.hubs[{index}]"
                    if not isinstance(hub, dict):
                        self.add("json-type", "a hub must be an object", path)
                        continue
                    self._string(hub, "type", path, required=True)
                    if self._string(hub, "url", path, required=True) is not None:
                        self._json_url(hub, "url", path)
        items = feed.get("items")
        if items is None:
            self.add("missing-element", "'items' is required", "$")
            return
        if not isinstance(items, list):
            self.add("json-type", "'items' must be an array", "$.items")
            return
        seen: dict[str, str] = {}
        for index, item in enumerate(items):
            path = f"$.items[{index}]"
            if not isinstance(item, dict):
                self.add("json-type", "an item must be an object", path)
                continue
            self._item(item, path, seen)

    def _authors(self, obj: dict[str, Any], path: str) -> None:
        for key in ("author", "authors"):
            value = obj.get(key)
            if value is None:
                continue
            people = [value] if key == "author" else value
            if not isinstance(people, list):
                self.add("json-type", f"{key!r} must be an array", f"{path}.{key}")
                continue
            for index, person in enumerate(people):
                where = f"{path}.{key}" + ("" if key == "author" else f"[{index}]")
                if not isinstance(person, dict):
                    self.add("json-type", "an author must be an object", where)
                    continue
                self._string(person, "name", where, required=False)
                for url_key in ("url", "avatar"):
                    self._json_url(person, url_key, where)

    def _item(self, item: dict[str, Any], path: str, seen: dict[str, str]) -> None:
        raw_id = item.get("id")
        if raw_id is None:
            self.add("missing-element", "'id' is required", path)
        elif not isinstance(raw_id, str):
            self.add("json-type", f"'id' must be a string, not {type(raw_id).__name__}", path)
        elif not raw_id.strip():
            self.add("missing-element", "'id' must not be blank", f"{path}.id")
        elif raw_id in seen:
            self.add("duplicate-id", f"id {raw_id!r} is also used at {seen[raw_id]}", f"{path}.id")
        else:
            seen[raw_id] = path
        for key in ("url", "external_url", "image", "banner_image"):
            self._json_url(item, key, path)
        for key in ("title", "summary", "language"):
            self._string(item, key, path, required=False)
        html = self._string(item, "content_html", path, required=False)
        text = self._string(item, "content_text", path, required=False)
        if html is None and text is None:
            self.add("missing-element", "an item needs 'content_html' or 'content_text'", path)
        if html is not None:
            for problem in html_problems(html):
                self.add(
                    "unsafe-html", f"content_html contains a {problem}", f"{path}.content_html"
                )
        for key in ("date_published", "date_modified"):
            self._date(item, key, path)
        tags = item.get("tags")
        if tags is not None and not (
            isinstance(tags, list) and all(isinstance(t, str) for t in tags)
        ):
            self.add("json-type", "'tags' must be an array of strings", f"{path}.tags")
        self._authors(item, path)
        attachments = item.get("attachments")
        if attachments is None:
            return
        if not isinstance(attachments, list):
            self.add("json-type", "'attachments' must be an array", f"{path}.attachments")
            return
        for index, attachment in enumerate(attachments):
            where = f"{path}.attachments[{index}]"
            if not isinstance(attachment, dict):
                self.add("json-type", "an attachment must be an object", where)
                continue
            self._attachment(attachment, where)

    def _attachment(self, attachment: dict[str, Any], where: str) -> None:
        url = attachment.get("url")
        if not isinstance(url, str):
            self.add("enclosure", "an attachment needs a 'url' string", where)
        else:
            problem = http_url_problem(url)
            if problem:
                self.add("enclosure", f"attachment url {problem}", f"{where}.url")
        kind = attachment.get("mime_type")
        if not isinstance(kind, str) or not MIME.fullmatch(kind.strip()):
            self.add("enclosure", f"attachment mime_type {kind!r} is not a MIME type", where)
        size = attachment.get("size_in_bytes")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            self.add("enclosure", f"size_in_bytes {size!r} is not a byte count", where)
        duration = attachment.get("duration_in_seconds")
        if duration is not None and (
            isinstance(duration, bool) or not isinstance(duration, int | float) or duration < 0
        ):
            self.add("json-type", "'duration_in_seconds' must be a number", where)


def _strings(value: Any, path: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from _strings(str(key), f"{path} (key)")
            yield from _strings(child, f"{path}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _strings(child, f"{path}[{index}]")
