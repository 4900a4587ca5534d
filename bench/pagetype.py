"""How well `sokbo.extract.pagetype.is_article` tells articles from other pages.

Run on purpose (not by the test suite):

    .venv/bin/python bench/pagetype.py [--data ../shared/data]

On the WCXB development pages (seven page types) and the aeb-dev articles: the share of
articles accepted and of non-articles refused, per page type, for all pages and for the
fixed halves A and B (rules are fitted on A and must hold on B), the misclassified ids
with the reason given, and the time per page (the verdict only; parsing is not counted,
the extractor parses once anyway).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.devsets import SHARED_DATA, Page, load
from sokbo.extract.pagetype import Verdict, is_article
from sokbo.web.htmlparse import parse_document

HALVES = ("all", "A", "B")


def judge_all(pages: list[Page]) -> tuple[dict[str, Verdict], float, float]:
    """The verdict on every page, and milliseconds per page spent deciding and, for
    scale, parsing (which the extractor does anyway)."""
    verdicts: dict[str, Verdict] = {}
    deciding = parsing = 0.0
    for page in pages:
        start = time.perf_counter()
        root = parse_document(page.html)
        parsed = time.perf_counter()
        verdicts[page.id] = is_article(root, page.url)
        deciding += time.perf_counter() - parsed
        parsing += parsed - start
    count = max(len(pages), 1)
    return verdicts, 1000 * deciding / count, 1000 * parsing / count


def right(page: Page, verdict: Verdict) -> bool:
    return verdict.article == (page.page_type == "article")


def table(name: str, pages: list[Page], verdicts: dict[str, Verdict]) -> list[str]:
    """One line per page type: pages, right, and the share right for all, A and B."""
    kinds = sorted({p.page_type for p in pages}, key=lambda k: (k != "article", k))
    lines = [
        f"{name}: share right (articles accepted, others refused)",
        f"  {'page type':<15}" + "".join(f"{h:>18}" for h in HALVES),
    ]
    for kind in [*kinds, "non-article"] if len(kinds) > 1 else kinds:
        cells = []
        for half in HALVES:
            chosen = [
                p
                for p in pages
                if (half == "all" or p.half == half)
                and (p.page_type == kind or (kind == "non-article" and p.page_type != "article"))
            ]
            good = sum(right(p, verdicts[p.id]) for p in chosen)
            share = 100 * good / len(chosen) if chosen else 0.0
            cells.append(f"{good:>4}/{len(chosen):<4} {share:5.1f} %")
        lines.append(f"  {kind:<15}" + "".join(f"{c:>18}" for c in cells))
    return lines


def mistakes(pages: list[Page], verdicts: dict[str, Verdict]) -> list[str]:
    lines = []
    for page in pages:
        verdict = verdicts[page.id]
        if not right(page, verdict):
            said = "accepted" if verdict.article else "refused"
            lines.append(
                f"  {page.id} {page.half} {page.page_type:<13} {said}: {verdict.reason}"
                f"  {page.url[:90]}"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    args = parser.parse_args()
    for name in ("wcxb-dev", "aeb-dev"):
        pages = load(args.data / name)
        verdicts, ms, parse_ms = judge_all(pages)
        undated = sum(1 for p in pages if p.page_type == "article" and not p.date)
        dates = any(p.date for p in pages)  # aeb-dev gives no dates at all
        print("\n".join(table(name, pages, verdicts)))
        print(f"  {ms:.2f} ms/page deciding ({parse_ms:.2f} ms/page parsing)")
        if dates:
            print(f"  articles without a date in the ground truth: {undated}")
        wrong = mistakes(pages, verdicts)
        reasons = Counter(
            verdicts[p.id].reason
            for p in pages
            if not right(p, verdicts[p.id]) and p.page_type == "article"
        )
        print(f"  misclassified: {len(wrong)}")
        for reason, count in reasons.most_common():
            print(f"    {count:>4} articles refused: {reason}")
        print("\n".join(wrong))
        print()


if __name__ == "__main__":
    main()
