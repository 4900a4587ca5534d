"""HTTP dates (RFC 9110): read leniently, as servers and clients in the wild write them."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime


def parse_http_date(value: str) -> datetime | None:
    """An HTTP date (IMF-fixdate or an obsolete form) as an aware datetime; None if unreadable.

    HTTP dates are in GMT, so one written without a zone is read as UTC.
    """
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def not_modified_since(if_modified_since: str | None, mtime: float) -> bool:
    """True when an `If-Modified-Since` header already covers a file changed at `mtime`."""
    since = parse_http_date(if_modified_since) if if_modified_since else None
    return since is not None and datetime.fromtimestamp(mtime, UTC) <= since
