"""The development pages the extraction benchmarks read, and the fixed halves they report on.

Two sets, both outside the repository (``../shared/data`` beside the checkout, or ``--data``):

- ``aeb-dev``: ScrapingHub's article-extraction-benchmark layout, ``html/<id>.html.gz`` plus
  ``ground-truth.json`` (id -> {url, articleBody}).
- ``wcxb-dev``: the development split of WCXB (Web Content eXtraction Benchmark, CC-BY-4.0),
  the same layout with ``page_type``, ``title``, ``author``, ``publish_date``, ``with`` and
  ``without`` per page.

Every page falls in half "A" or "B" by a hash of its id, the same in every benchmark and run:
constants are fitted on one half and checked on the other.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared/data"
AEB = SHARED_DATA / "aeb-dev"
WCXB = SHARED_DATA / "wcxb-dev"


@dataclass(frozen=True)
class Page:
    id: str
    url: str
    html: str
    truth: str  # the main text, headings and paragraphs on lines of their own
    page_type: str = "article"  # WCXB's: article, service, product, collection, forum, ...
    title: str | None = None
    author: str | None = None
    date: str | None = None  # YYYY-MM-DD as the ground truth gives it
    with_snippets: tuple[str, ...] = field(default=())  # text a right extraction contains
    without_snippets: tuple[str, ...] = field(default=())  # boilerplate it must leave out

    @property
    def half(self) -> str:
        """Half "A" or "B", fixed by the page's id."""
        return "A" if hashlib.sha256(self.id.encode()).digest()[0] % 2 == 0 else "B"


def _snippets(value: object) -> tuple[str, ...]:
    # The ground truth holds the lists either as JSON lists or as Python reprs of them.
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    if isinstance(value, str) and value.strip():
        parsed = ast.literal_eval(value)
        return tuple(str(v) for v in parsed)
    return ()


def load(data: Path) -> list[Page]:
    """Every page of the set in ``data``, sorted by id."""
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for item_id, item in sorted(truth.items()):
        with gzip.open(data / "html" / f"{item_id}.html.gz", "rt", encoding="utf-8") as f:
            html = f.read()
        pages.append(
            Page(
                id=item_id,
                url=item.get("url") or "",
                html=html,
                truth=item.get("articleBody") or "",
                page_type=item.get("page_type") or "article",
                title=item.get("title"),
                author=item.get("author"),
                date=item.get("publish_date"),
                with_snippets=_snippets(item.get("with")),
                without_snippets=_snippets(item.get("without")),
            )
        )
    return pages


def halves(pages: list[Page]) -> dict[str, list[Page]]:
    """The pages split into "all", "A" and "B"."""
    return {
        "all": pages,
        "A": [p for p in pages if p.half == "A"],
        "B": [p for p in pages if p.half == "B"],
    }
