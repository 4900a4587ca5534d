"""Article body extraction: sokbo's generic extractor against its open-source peers.

    python bench/extraction.py [--set aeb|wcxb|both] [--types article,...] [--only-sokbo]
                               [--repeat N] [--per-page]

Pages: both development sets of ``bench/devsets.py`` (aeb-dev, 50 news pages; wcxb-dev,
1,497 pages of seven types). Every extractor runs in this process, on the same raw HTML
strings, in this run, so the speed ratios compare like with like. Each set is reported for
all its pages and for its fixed halves A and B (constants fitted on one half must hold on
the other), and WCXB also per page type; the headline WCXB rows are its article pages.

Measures, all on the visible text of the extraction:

- shingle P/R/F1: the article-extraction-benchmark's ``evaluate.py`` (read for this and
  reimplemented, not copied): ``\\w+`` tokens (case kept) in overlapping 4-token shingles;
  per page TP/FP/FN are multiset overlaps normalised by their sum; precision is averaged
  over pages that predicted something, recall over pages whose truth has text, and F1 is
  the harmonic mean of those two averages.
- word F1: WCXB's own metric: lower-cased ``\\w+`` tokens as a bag of words, F1 per page,
  averaged over pages.
- with / w/o: WCXB only: the share of the ground truth's ``with`` snippets the extraction
  contains, and of its ``without`` (boilerplate) snippets it leaks; case and whitespace
  are ignored.
- pages/s: over the pages of the row, each page's best of ``--repeat`` passes.
"""

from __future__ import annotations

import argparse
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.devsets import AEB, WCXB, Page, load
from sokbo.extract.generic import extract_main
from sokbo.web.htmlparse import parse_document

Extractor = Callable[[str, str], str]  # (html, url) -> raw output
ToText = Callable[[str], str]  # raw output -> visible text, untimed
Counts = tuple[float, float, float]  # normalised TP, FP, FN of one page

# --- the measures -------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+")
_SHINGLE = 4


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    # A text shorter than one shingle still counts as one (shorter) shingle.
    count = max(1, len(tokens) - _SHINGLE + 1)
    return Counter(tuple(tokens[i : i + _SHINGLE]) for i in range(count) if tokens[i:])


def shingle_counts(truth: str, predicted: str) -> Counts:
    """One page's shingle TP, FP, FN, normalised so that every page weighs the same."""
    expected, got = _shingles(truth), _shingles(predicted)
    tp = float(sum((expected & got).values()))
    fp = float(sum((got - expected).values()))
    fn = float(sum((expected - got).values()))
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float


def shingle_scores(counts: Iterable[Counts]) -> Scores:
    """The benchmark's F1: the harmonic mean of precision and recall averaged over pages."""
    precisions, recalls = [], []
    for tp, fp, fn in counts:
        perfect = fp == fn == 0
        if tp + fp > 0:
            precisions.append(1.0 if perfect else tp / (tp + fp))
        if tp + fn > 0:
            recalls.append(1.0 if perfect else tp / (tp + fn))
    precision = statistics.mean(precisions) if precisions else 0.0
    recall = statistics.mean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1)


def word_f1(truth: str, predicted: str) -> float:
    """WCXB's per-page F1 over lower-cased words as a bag."""
    expected = Counter(_TOKEN.findall(truth.lower()))
    got = Counter(_TOKEN.findall(predicted.lower()))
    if not expected and not got:
        return 1.0
    common = sum((expected & got).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(expected.values())
    return 2 * precision * recall / (precision + recall)


def _flat(text: str) -> str:
    return " ".join(text.lower().split())


def snippets_in(snippets: tuple[str, ...], text: str) -> tuple[int, int]:
    """(how many of ``snippets`` occur in ``text``, how many there are)."""
    flat = _flat(text)
    return sum(1 for s in snippets if _flat(s) in flat), len(snippets)


# --- text of an HTML fragment ------------------------------------------------------------

_BLOCKS = frozenset(
    "address article aside blockquote br dd details div dl dt figcaption figure footer "  # noqa: SIM905
    "form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody "
    "td tfoot th thead tr ul".split()
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


def _peers() -> dict[str, tuple[Extractor, ToText]]:
    """name -> (timed call returning its raw output, untimed conversion of it to text)."""
    # The peers are optional (`pip install -e '.[bench]'`); newspaper warns about nltk.
    warnings.simplefilter("ignore")
    import newspaper  # type: ignore[import-untyped, import-not-found]
    import trafilatura  # type: ignore[import-not-found]
    from readability import Document  # type: ignore[import-untyped, import-not-found]

    def traf(fast: bool) -> Extractor:
        # trafilatura's defaults otherwise (comments included, no precision/recall bias);
        # fast=True skips its fallback extractors (readability, jusText).
        def call(html: str, url: str) -> str:
            return str(trafilatura.extract(html, url=url, fast=fast) or "")

        return call

    def news(html: str, url: str) -> str:
        # fetch_images=False: with it on, newspaper downloads images to rank them.
        article = newspaper.article(url, input_html=html, fetch_images=False)
        return str(article.text or "")

    def same(text: str) -> str:
        return text

    return {
        "trafilatura": (traf(fast=False), same),
        "trafilatura fast": (traf(fast=True), same),
        "readability-lxml": (lambda html, url: str(Document(html).summary()), visible_text),
        "newspaper4k": (news, same),
    }


@dataclass
class Result:
    """One extractor on one set: per page its text and best time."""

    name: str
    texts: list[str]
    seconds: list[float]
    failures: list[str]  # "page id: exception" for each page the extractor raised on


def run(name: str, call: Extractor, to_text: ToText, pages: list[Page], repeat: int) -> Result:
    texts, seconds, failures = [], [], []
    for page in pages:
        best, output = float("inf"), ""
        for round_ in range(repeat):
            start = time.perf_counter()
            try:
                output = call(page.html, page.url)
            except Exception as error:  # a crash on one page scores as an empty answer
                output = ""
                if round_ == 0:
                    failures.append(f"{page.id[:10]}: {type(error).__name__}: {error}")
            best = min(best, time.perf_counter() - start)
        texts.append(to_text(output))
        seconds.append(best)
    return Result(name, texts, seconds, failures)


# --- the report ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    shingles: Scores
    words: float
    found: float | None  # share of `with` snippets found; None when the rows have none
    leaked: float | None  # share of `without` snippets leaked
    pages_per_second: float


def measure(pages: list[Page], indices: list[int], result: Result) -> Row:
    counts = [shingle_counts(pages[i].truth, result.texts[i]) for i in indices]
    words = statistics.mean(word_f1(pages[i].truth, result.texts[i]) for i in indices)
    found, leaked = [0, 0], [0, 0]
    for i in indices:
        page, text = pages[i], result.texts[i]
        for tally, snippets in ((found, page.with_snippets), (leaked, page.without_snippets)):
            hits, total = snippets_in(snippets, text)
            tally[0] += hits
            tally[1] += total
    seconds = sum(result.seconds[i] for i in indices)
    return Row(
        shingle_scores(counts),
        words,
        found[0] / found[1] if found[1] else None,
        leaked[0] / leaked[1] if leaked[1] else None,
        len(indices) / seconds if seconds else float("inf"),
    )


def _share(value: float | None) -> str:
    return f"{value:6.1%}" if value is not None else "     -"


def print_group(label: str, pages: list[Page], indices: list[int], results: list[Result]) -> None:
    """One table: every extractor on the pages at ``indices``, then sokbo/trafilatura."""
    print(f"\n{label} ({len(indices)} pages)")
    print(
        f"  {'extractor':<18} {'shingle P':>9} {'R':>6} {'F1':>6} {'word F1':>8}"
        f" {'with':>6} {'w/o':>6} {'pages/s':>8}"
    )
    rows = {r.name: measure(pages, indices, r) for r in results}
    for name, row in rows.items():
        s = row.shingles
        print(
            f"  {name:<18} {s.precision:9.3f} {s.recall:6.3f} {s.f1:6.3f} {row.words:8.3f}"
            f" {_share(row.found)} {_share(row.leaked)} {row.pages_per_second:8.1f}"
        )
    if "sokbo" in rows:
        ours = rows["sokbo"]
        for peer in (n for n in rows if n.startswith("trafilatura")):
            theirs = rows[peer]
            print(
                f"  sokbo / {peer}: shingle F1 {ours.shingles.f1 - theirs.shingles.f1:+.3f}"
                f" ({ours.shingles.f1 / theirs.shingles.f1:.3f}×),"
                f" word F1 {ours.words - theirs.words:+.3f} ({ours.words / theirs.words:.3f}×),"
                f" speed {ours.pages_per_second / theirs.pages_per_second:.2f}×"
            )


def report(name: str, pages: list[Page], results: list[Result], by_type: bool) -> None:
    print(f"\n=== {name}: {len(pages)} pages")
    for result in results:
        for failure in result.failures:
            print(f"  {result.name} failed on {failure}")
    every = list(range(len(pages)))
    types = sorted({p.page_type for p in pages}, key=lambda t: (t != "article", t))
    headline = [i for i in every if pages[i].page_type == types[0]] if by_type else every
    kind = f"{types[0]} pages" if by_type else "all pages"
    print_group(f"{name}, {kind}", pages, headline, results)
    for half in ("A", "B"):
        group = [i for i in headline if pages[i].half == half]
        print_group(f"{name}, {kind}, half {half}", pages, group, results)
    if by_type and len(types) > 1:
        print_group(f"{name}, all types", pages, every, results)
        for page_type in types[1:]:
            group = [i for i in every if pages[i].page_type == page_type]
            print_group(f"{name}, {page_type} pages", pages, group, results)


def print_per_page(pages: list[Page], results: list[Result]) -> None:
    """Word F1 per page, sokbo's worst against the first peer first: where to look."""
    names = [r.name for r in results]
    versus = f" - {names[1]}" if len(names) > 1 else ""
    print(f"\nper-page word F1, sorted by sokbo{versus}")
    print("id          half type          " + " ".join(f"{n[:11]:>11}" for n in names))
    table = [
        (page, [word_f1(page.truth, r.texts[i]) for r in results]) for i, page in enumerate(pages)
    ]
    table.sort(key=lambda row: row[1][0] - (row[1][1] if len(row[1]) > 1 else 0.0))
    for page, f1s in table:
        cells = " ".join(f"{f1:11.3f}" for f1 in f1s)
        print(f"{page.id[:11]:<11} {page.half:>4} {page.page_type:<13} {cells}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--set", choices=("aeb", "wcxb", "both"), default="both")
    parser.add_argument("--types", help="WCXB page types to run, comma-separated (article,...)")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes; the best counts")
    parser.add_argument("--only-sokbo", action="store_true", help="skip the peers (development)")
    parser.add_argument("--per-page", action="store_true", help="print word F1 per page too")
    args = parser.parse_args(argv)

    sets = {"aeb": [("aeb-dev", AEB)], "wcxb": [("wcxb-dev", WCXB)]}
    chosen = sets["aeb"] + sets["wcxb"] if args.set == "both" else sets[args.set]
    extractors: dict[str, tuple[Extractor, ToText]] = {"sokbo": (run_sokbo, visible_text)}
    if not args.only_sokbo:
        extractors.update(_peers())
    print(f"best of {args.repeat} timed passes per page")
    for name, path in chosen:
        pages = load(path)
        if args.types and name == "wcxb-dev":
            wanted = set(args.types.split(","))
            pages = [p for p in pages if p.page_type in wanted]
        results = [run(n, *ex, pages, args.repeat) for n, ex in extractors.items()]
        report(name, pages, results, by_type=name == "wcxb-dev")
        if args.per_page:
            print_per_page(pages, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
