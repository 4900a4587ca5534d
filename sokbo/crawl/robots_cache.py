"""robots.txt kept between runs, in <state_dir>/robots: one JSON file per site, as long as
RFC 9309 lets a crawler use a copy without asking again.

RFC 9309 (2.4) lets a crawler cache robots.txt by the usual HTTP rules and says it SHOULD
NOT use a cached copy for more than 24 hours, unless robots.txt is unreachable. So a copy
is used without a request for up to 24 hours (less when the site's Cache-Control says so),
and an older one is asked for again with its validators (a 304 keeps it). A 4xx other
than 429 means "no rules" (2.3.1.3) and is kept too; a 5xx, a 429 or no answer at all
keeps nothing, and the crawl may fall back on an older copy (2.3.1.4).

Every write goes to a temporary file renamed over the old one (sokbo.files), so a kill
mid-write leaves the old copy or the new one, never half of one; a file that still does
not read back (a disk that lost it, a hand edit) is ignored, with a warning.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from sokbo.files import describe_write_error, remove_stale_temporaries, write_if_changed

logger = logging.getLogger(__name__)

# The folder of the copies, under the config's [crawl] state_dir.
CACHE_FOLDER = "robots"
# RFC 9309 2.4: a cached robots.txt SHOULD NOT be used for more than 24 hours.
MAX_AGE = 24 * 3600.0
_FORMAT = 1
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:,|$)", re.IGNORECASE)
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


@dataclass(frozen=True)
class KeptRobots:
    """A site's robots.txt as last sent or confirmed by the site."""

    url: str  # the robots.txt URL asked for (scheme, host and port: one file per origin)
    status: int  # 200, or the 4xx that stands for "no rules"
    body: bytes  # empty for a 4xx
    checked: float  # when the site last sent or confirmed it (seconds since the epoch)
    max_age: float  # how long after `checked` it is used without asking
    etag: str | None = None
    last_modified: str | None = None

    def fresh(self, now: float) -> bool:
        """Young enough to use without a request (a clock set back makes it stale)."""
        return 0 <= now - self.checked < self.max_age

    def validators(self) -> dict[str, str]:
        """The headers of a conditional request for it."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    def revalidated(
        self,
        now: float,
        cache_control: str | None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> KeptRobots:
        """The copy after a 304: checked now; the Cache-Control and validators sent with
        the 304 replace the old ones (RFC 9111 4.3.4)."""
        return replace(
            self,
            checked=now,
            max_age=self.max_age if cache_control is None else max_age(cache_control),
            etag=etag or self.etag,
            last_modified=last_modified or self.last_modified,
        )

    def describe(self) -> str:
        """`the copy of 2026-11-22 09:14 UTC`, for log lines."""
        when = datetime.fromtimestamp(self.checked, UTC).strftime("%Y-%m-%d %H:%M UTC")
        return f"the copy of {when}"


def keepable(status: int) -> bool:
    """Whether an answer with this status is kept: the file itself, or a 4xx (no rules)
    other than 429, which is the site saying it is overloaded, not that it has no rules."""
    return status == 200 or (400 <= status < 500 and status != 429)


def kept_from_answer(
    url: str,
    status: int,
    body: bytes,
    now: float,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    cache_control: str | None = None,
) -> KeptRobots | None:
    """The copy an answer gives; None for a status that says nothing of the rules."""
    if not keepable(status):
        return None
    if status != 200:  # "no rules", whatever error page came with it
        return KeptRobots(url, status, b"", now, max_age(cache_control))
    return KeptRobots(url, 200, body, now, max_age(cache_control), etag, last_modified)


def storable(cache_control: str | None) -> bool:
    """Whether the site lets a copy be written down (not `Cache-Control: no-store`)."""
    return not re.search(r"(?:^|,)\s*no-store\b", cache_control or "", re.IGNORECASE)


def max_age(cache_control: str | None) -> float:
    """How long a copy is used without asking: 24 hours, or less when Cache-Control says
    so (`no-cache` and `max-age=0`: ask every time)."""
    if not cache_control:
        return MAX_AGE
    if re.search(r"(?:^|,)\s*no-cache\b", cache_control, re.IGNORECASE):
        return 0.0
    found = _MAX_AGE.search(cache_control)
    return min(MAX_AGE, float(found.group(1))) if found else MAX_AGE


def encode(kept: KeptRobots) -> bytes:
    """The file of a copy: JSON, the body as Latin-1 text (every byte kept as it came,
    and an ASCII robots.txt readable as it is)."""
    fields = {
        "format": _FORMAT,
        "url": kept.url,
        "status": kept.status,
        "checked": kept.checked,
        "max_age": kept.max_age,
        "etag": kept.etag,
        "last_modified": kept.last_modified,
        "body": kept.body.decode("latin-1"),
    }
    return (json.dumps(fields, ensure_ascii=False, indent=1) + "\n").encode()


def decode(data: bytes, url: str) -> KeptRobots:
    """A copy read back from its file; ValueError when the file is not one (of `url`)."""
    try:
        fields = json.loads(data)
        if not isinstance(fields, dict) or fields.get("format") != _FORMAT:
            raise ValueError("not a robots.txt copy of this version of sokbo")
        if fields["url"] != url:
            raise ValueError(f"it holds the robots.txt of {fields['url']}")
        kept = KeptRobots(
            url=fields["url"],
            status=int(fields["status"]),
            body=str(fields["body"]).encode("latin-1"),
            checked=float(fields["checked"]),
            max_age=min(MAX_AGE, float(fields["max_age"])),
            etag=_text_or_none(fields["etag"]),
            last_modified=_text_or_none(fields["last_modified"]),
        )
    except (KeyError, TypeError, UnicodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"unreadable ({exc})") from None
    if not keepable(kept.status):
        raise ValueError(f"status {kept.status} is never kept")
    return kept


def _text_or_none(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"{value!r} is not text")


class RobotsCache:
    """The copies of one state folder: read, written atomically, a bad file ignored."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._tidied = False

    def path(self, url: str) -> Path:
        """`127.0.0.1_8941-http-1a2b3c4d.json`: readable, and unique by the digest of the
        exact URL (two hosts that read alike after the clean-up keep two files)."""
        parts = urlsplit(url)
        readable = _UNSAFE.sub("_", parts.netloc).strip("_") or "site"
        digest = hashlib.sha256(url.encode()).hexdigest()[:8]
        return self.folder / f"{readable[:80]}-{parts.scheme}-{digest}.json"

    def load(self, url: str) -> KeptRobots | None:
        """The copy of `url`'s robots.txt; None when there is none or it cannot be read."""
        path = self.path(url)
        try:
            return decode(path.read_bytes(), url)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            logger.warning("robots.txt cache: %s ignored: %s", path, exc)
            return None

    def save(self, kept: KeptRobots) -> None:
        """Replace the copy; a copy that cannot be written is only a warning: the next
        run asks the site again."""
        path = self.path(kept.url)
        try:
            if not self._tidied:  # what writers killed mid-write left, once a run
                remove_stale_temporaries(self.folder)
                self._tidied = True
            write_if_changed(path, encode(kept))
        except OSError as exc:
            logger.warning(
                "robots.txt cache: cannot keep %s: %s",
                kept.url,
                describe_write_error(exc, path.parent),
            )
