"""What the lint reports: the rules by id, and one broken rule with its place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FeedKind = Literal["rss", "atom", "json"]

RULES: dict[str, str] = {
    "encoding": "the bytes decode in the declared encoding (UTF-8 when none is; JSON: UTF-8)",
    "xml-char": "no character that XML 1.0 forbids, raw or as a character reference",
    "well-formed": "well-formed XML (namespaces included) or valid JSON",
    "no-dtd": "no DOCTYPE, so no DTD and no entity declarations",
    "root": "the document is its kind: <rss version='2.0'><channel>, Atom <feed>, a JSON object",
    "missing-element": "required elements and members are present and not blank",
    "duplicate-element": "elements allowed once appear once",
    "atom-author": "an Atom feed has an author, or every entry has one",
    "rfc822-date": "RSS dates are RFC 822 with a four-digit year, a real day and a valid zone",
    "rfc3339-date": "Atom and JSON Feed dates are RFC 3339 with a zone",
    "absolute-url": "links are absolute http(s) URLs; ids are absolute http(s), tag: or urn: URIs",
    "duplicate-id": "no two entries share a guid or id",
    "self-link": "the feed names its own URL (atom:link rel=self, JSON feed_url) correctly",
    "guid-permalink": "an RSS guid that is a permalink (isPermaLink missing or 'true') is a URL",
    "enclosure": "enclosures and attachments have a URL, a MIME type and (RSS) a byte length",
    "unsafe-html": "escaped HTML has no script/embed/object/iframe/meta/link/style/form, "
    "no on* attribute and no javascript: URL",
    "namespace": "content:encoded and other known prefixes are declared with their namespace",
    "json-version": "a JSON Feed names version 1.1 (or 1)",
    "json-type": "JSON Feed members have the types the specification gives them",
}


@dataclass(frozen=True)
class Problem:
    """One broken rule: the rule's id (a key of ``RULES``), what is wrong, and where."""

    rule: str
    message: str
    where: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message} [{self.rule}]"
