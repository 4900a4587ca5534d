"""The fixture sites under tests/sites/: where they are, what each crawl must find, and
the posts a crawl wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import frontmatter

SITES = Path(__file__).resolve().parents[1] / "sites"


def expected(site: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SITES / site / "_expected.json").read_text("utf-8"))
    return data


def posts(folder: Path) -> dict[str, frontmatter.Post]:
    """The crawl's posts by the path of their source article."""
    found = {}
    for path in sorted((folder / "sites/out/_posts").glob("*.md")):
        post = frontmatter.load(path)
        url = str(post["source_url"])
        found[url[url.index("/", len("http://")) :]] = post
    return found
