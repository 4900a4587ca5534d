"""Article body extraction: sokbo's generic extractor against its open-source peers.

    python bench/extraction.py [--data PATH] [--repeat N] [--per-page]

Data: ScrapingHub's article-extraction-benchmark (MIT) layout, ``html/<id>.html.gz`` plus
``ground-truth.json`` (id -> {url, articleBody}). Every extractor runs in this process, on
the same raw HTML strings, in this run, so the speed ratios compare like with like.

Scoring follows the benchmark's own ``evaluate.py`` (scrapinghub/article-extraction-benchmark,
read for this and reimplemented, not copied): text is cut into ``\\w+`` tokens (case kept),
tokens into overlapping 4-token shingles; per page TP/FP/FN are multiset overlaps of the
shingles, normalised by their sum so that long pages weigh no more than short ones.
Precision is averaged over pages that predicted something, recall over pages whose truth
has text, and F1 is the harmonic mean of those two averages (not a mean of per-page F1s).
The ± columns are bootstrap standard deviations over pages (resampled with replacement,
1000 times, as ``evaluate.py`` does; seeded here so runs are reproducible).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import lxml.html

from sokbo.extract.generic import extract_main
from sokbo.htmltree import parse_document

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared/data/aeb-dev"

Extractor = Callable[[str, str], str]  # (html, url) -> body text
Counts = tuple[float, float, float]  # normalised TP, FP, FN of one page


@dataclass(frozen=True)
class Page:
    id: str
    url: str
    html: str
    truth: str


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float


def load_pages(data: Path) -> list[Page]:
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for item_id, item in sorted(truth.items()):
        with gzip.open(data / "html" / f"{item_id}.html.gz", "rt", encoding="utf-8") as f:
            html = f.read()
        pages.append(Page(item_id, item.get("url") or "", html, item.get("articleBody") or ""))
    return pages


# --- the benchmark's metric -------------------------------------------------------------

_TOKEN = re.compile(r"\w+")
_SHINGLE = 4


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    # A text shorter than one shingle still counts as one (shorter) shingle.
    count = max(1, len(tokens) - _SHINGLE + 1)
    return Counter(tuple(tokens[i : i + _SHINGLE]) for i in range(count) if tokens[i:])


def page_counts(truth: str, predicted: str) -> Counts:
    expected, got = _shingles(truth), _shingles(predicted)
    tp = float(sum((expected & got).values()))
    fp = float(sum((got - expected).values()))
    fn = float(sum((expected - got).values()))
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fp) if tp + fp else 0.0


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fn) if tp + fn else 0.0


def scores(counts: Iterable[Counts]) -> Scores:
    counts = list(counts)
    precisions = [_precision(*c) for c in counts if c[0] + c[1] > 0]
    recalls = [_recall(*c) for c in counts if c[0] + c[2] > 0]
    precision = statistics.mean(precisions) if precisions else 0.0
    recall = statistics.mean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1)


def bootstrap_std(counts: list[Counts], rounds: int, seed: int) -> Scores:
    rng = random.Random(seed)
    samples = [scores(rng.choices(counts, k=len(counts))) for _ in range(rounds)]
    return Scores(
        statistics.stdev(s.precision for s in samples),
        statistics.stdev(s.recall for s in samples),
        statistics.stdev(s.f1 for s in samples),
    )


# --- text of an HTML fragment ------------------------------------------------------------

_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
_INVISIBLE = ("script", "style", "noscript", "template", "head", "title")
_SPACES = re.compile(r"[ \t\r\f\v\xa0]+")


def visible_text(fragment: str) -> str:
    """The text a reader sees in ``fragment``: one line per block, spaces collapsed."""
    if not fragment or not fragment.strip():
        return ""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    for element in list(root.iter(*_INVISIBLE)):
        element.drop_tree()
    for element in root.iter():
        if element.tag in _BLOCKS:
            element.text = "\n" + (element.text or "")
            element.tail = "\n" + (element.tail or "")
    lines = (_SPACES.sub(" ", line).strip() for line in root.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


# --- the extractors ------------------------------------------------------------------------


def run_sokbo(html: str, url: str) -> str:
    return extract_main(parse_document(html), url) or ""


def _peers() -> dict[str, tuple[Extractor, Callable[[str], str]]]:
    """name -> (timed call returning its raw output, untimed conversion of that output to text)."""
    # The peers are optional (`pip install -e '.[bench]'`); newspaper warns about nltk.
    warnings.simplefilter("ignore")
    import newspaper  # type: ignore[import-untyped, import-not-found]
    import trafilatura  # type: ignore[import-not-found]
    from readability import Document  # type: ignore[import-untyped, import-not-found]

    def traf(comments: bool = True, precision: bool = False, recall: bool = False) -> Extractor:
        # trafilatura's defaults: comments included, neither precision nor recall favoured.
        def call(html: str, url: str) -> str:
            text = trafilatura.extract(
                html,
                url=url,
                include_comments=comments,
                favor_precision=precision,
                favor_recall=recall,
            )
            return str(text or "")

        return call

    def news(html: str, url: str) -> str:
        # fetch_images=False: with it on, newspaper downloads images to rank them.
        article = newspaper.article(url, input_html=html, fetch_images=False)
        return str(article.text or "")

    def same(text: str) -> str:
        return text

    return {
        "trafilatura": (traf(), same),
        # The benchmark's own trafilatura runner turns comments off.
        "trafilatura no-comments": (traf(comments=False), same),
        "trafilatura precision": (traf(precision=True), same),
        "trafilatura recall": (traf(recall=True), same),
        "readability-lxml": (lambda html, url: str(Document(html).summary()), visible_text),
        "newspaper4k": (news, same),
    }


@dataclass
class Result:
    name: str
    texts: list[str]
    seconds: float  # best repetition, all pages
    failures: list[str]  # "page id: exception" for each page the extractor raised on


def run(
    name: str, call: Extractor, to_text: Callable[[str], str], pages: list[Page], repeat: int
) -> Result:
    outputs: list[str] = []
    failures: list[str] = []
    best = float("inf")
    for round_ in range(repeat):
        elapsed = 0.0
        for page in pages:
            start = time.perf_counter()
            try:
                output = call(page.html, page.url)
            except Exception as error:  # a crash on one page scores as an empty answer
                output = ""
                if round_ == 0:
                    failures.append(f"{page.id[:10]}: {type(error).__name__}: {error}")
            elapsed += time.perf_counter() - start
            if round_ == 0:
                outputs.append(output)
        best = min(best, elapsed)
    return Result(name, [to_text(o) for o in outputs], best, failures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes; the best counts")
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only-sokbo", action="store_true", help="skip the peers (development)")
    parser.add_argument("--per-page", action="store_true", help="print F1 per page too")
    args = parser.parse_args(argv)

    pages = load_pages(args.data)
    extractors: dict[str, tuple[Extractor, Callable[[str], str]]] = {
        "sokbo": (run_sokbo, visible_text)
    }
    if not args.only_sokbo:
        extractors.update(_peers())
    results = [run(name, *ex, pages, args.repeat) for name, ex in extractors.items()]

    print(f"{len(pages)} pages from {args.data}, best of {args.repeat} timed passes\n")
    print(f"{'extractor':<25} {'precision':>13} {'recall':>13} {'F1':>13} {'pages/s':>8}")
    f1s: dict[str, float] = {}
    speeds: dict[str, float] = {}
    for result in results:
        counts = [page_counts(p.truth, t) for p, t in zip(pages, result.texts, strict=True)]
        mean, std = scores(counts), bootstrap_std(counts, args.bootstrap, args.seed)
        f1s[result.name] = mean.f1
        speeds[result.name] = len(pages) / result.seconds
        failed = f"  ({len(result.failures)} failed)" if result.failures else ""
        print(
            f"{result.name:<25} {mean.precision:.3f} ± {std.precision:.3f}"
            f"  {mean.recall:.3f} ± {std.recall:.3f}  {mean.f1:.3f} ± {std.f1:.3f}"
            f" {speeds[result.name]:8.1f}{failed}"
        )
    for result in results:
        for failure in result.failures:
            print(f"  {result.name} failed on {failure}")
    if "trafilatura" in f1s:
        print()
        for peer in [n for n in f1s if n.startswith("trafilatura")]:
            print(
                f"sokbo / {peer}: F1 {f1s['sokbo'] / f1s[peer]:.3f}×,"
                f" speed {speeds['sokbo'] / speeds[peer]:.2f}×"
            )
    if args.per_page:
        _print_per_page(pages, results)
    return 0


def _print_per_page(pages: list[Page], results: list[Result]) -> None:
    print("\nper-page F1 (shingle F1 of that page alone)")
    print("id         " + " ".join(f"{r.name[:11]:>11}" for r in results))
    for index, page in enumerate(pages):
        row = []
        for result in results:
            f1 = scores([page_counts(page.truth, result.texts[index])]).f1
            row.append(f"{f1:11.3f}")
        print(f"{page.id[:10]} " + " ".join(row))


if __name__ == "__main__":
    sys.exit(main())
