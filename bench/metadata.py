"""Article metadata (title, publication date, authors): sokbo against trafilatura and newspaper4k.

    python bench/metadata.py [--tools sokbo,trafilatura,newspaper4k] [--types all|article,...]
                             [--dump FILE] [--misses]

Pages: the WCXB development pages (``bench/devsets.py``; the headline rows are its article
pages, then every page type together) and the repository's stored pages whose expected
values are checked by the golden tests (``tests/data/presets`` against
``tests/golden/presets``, the demo pages and ``tests/data/pages`` against
``tests/golden/extract``). Every tool runs in this process on the same HTML strings, in
this run. Each set is reported for all its pages and for its fixed halves A and B.

What each tool is asked:

- sokbo: ``parse_article`` with the generic preset (a stored preset page: its own preset),
  crawled at ``CRAWLED_AT``, naive times in UTC. Its ``published`` falls back to the crawl
  time when the page gives no date; that is counted as "no date found", never as a date.
  When ``parse_article`` refuses a page (no body), the metadata functions it calls are
  called directly, so that a missing body does not count as missing metadata.
- trafilatura: ``extract_metadata(html, default_url=url)``, its defaults (htmldate with
  ``original_date``). Its ``author`` is one string joined by "; ", split back here.
- newspaper4k: ``newspaper.article(url, input_html=html, fetch_images=False)``; its time
  includes the body, which it cannot skip.

Measures (each over the pages whose ground truth has the field):

- title: exact match after collapsing whitespace (case, punctuation and quotes kept).
- date: the tool's date on its own calendar (the offset it was written with), against the
  truth's YYYY-MM-DD: same day, none found, or wrong (found, another day).
- authors F1: per page, precision and recall of the normalised name sets, F1 averaged over
  pages whose truth names somebody (no answer scores 0).
- junk authors: share of pages whose truth names nobody where the tool named somebody.
- ms/page: mean wall time of the tool's call.

How truth is normalised (a benchmark convention, not a rule sokbo uses): the truth's author
string is split on ";", ",", "&" and the word "and"; a part whose words are all short
(at most six letters) with no two lower-case letters in a row ("MS", "Ph.D.", "E-RYT 200",
"CEPF®") is a credential, and a part holding a job word ("Shipping Expert", "CEO of ...",
"Dietitian") is a role; both are dropped. Names (truth's and tools') are compared
NFKC-normalised, case-folded, with dots, commas and a leading "By"/"Dr" removed and
whitespace collapsed. A tool's name is never split (except trafilatura's documented "; "
join), so "Jane Doe and John Roe" as one name is a miss. A handful of truths stay
imperfect ("Kaufman, Jeff T." becomes two names, "Home and Digital Security Expert"
leaves "Home"); they cost every tool alike.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.devsets import REPO, WCXB, load
from sokbo.extract import metadata
from sokbo.extract.article import ExtractError, parse_article
from sokbo.extract.presets import PRESETS
from sokbo.models import FeedHint, Page
from sokbo.web.encoding import decode_html
from sokbo.web.htmlparse import parse_document

# After the WCXB pages were collected (their latest dates are of March 13, 2026).
CRAWLED_AT = datetime(2026, 4, 1, tzinfo=UTC)
PRESET_CRAWL = "2024-07-01T00:00:00+09:00"  # tests/test_extract_presets.py's default
DEMO_CRAWL = "2024-08-01T00:00:00+00:00"  # tests/test_extract.py's
TOOLS = ("sokbo", "trafilatura", "newspaper4k")


@dataclass(frozen=True)
class Case:
    """One page with its expected metadata and how sokbo's pipeline would see it."""

    id: str
    half: str
    kind: str  # WCXB page type, or "repo"
    url: str
    html: str
    title: str | None
    date: date | None
    authors: frozenset[str]
    preset: str = "generic"
    fetched_at: datetime = CRAWLED_AT
    timezone: str = "UTC"


@dataclass(frozen=True)
class Answer:
    title: str | None
    date: date | None
    authors: tuple[str, ...]


@dataclass
class Run:
    answers: dict[str, Answer] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


# --- truth -------------------------------------------------------------------------------

_PEOPLE_SPLIT = re.compile(r"\s*(?:;|,|&|\band\b)\s*", re.IGNORECASE)
# A credential word: short, and without two lower-case letters in a row ("MS", "Ph.D.").
_CREDENTIAL = re.compile(r"[^\W\d_]{0,6}|[0-9]+", re.UNICODE)
_ROLE = re.compile(
    r"\b(?:expert|director|ceo|founder|dietitian|representative|educator|horticulturalist"
    r"|editor|writer|manager|president|officer|team|staff|committee|specialist|consultant)\b",
    re.IGNORECASE,
)


def truth_authors(value: str | None) -> frozenset[str]:
    """The people in a ground-truth author string, normalised (see the module docstring)."""
    if not value:
        return frozenset()
    value = re.sub(r"\([^)]*\)", " ", value)
    people = []
    for part in _PEOPLE_SPLIT.split(value):
        if _ROLE.search(part) or all(_credential(w) for w in part.split()):
            continue
        people.append(name_key(part))
    return frozenset(p for p in people if p)


def _credential(word: str) -> bool:
    bare = re.sub(r"[.\-®]", "", word)
    return bool(_CREDENTIAL.fullmatch(bare)) and not re.search(r"[a-z]{2}", bare)


def name_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[.,·]", " ", text)
    text = re.sub(r"^\s*(?:by|dr)\s+", "", text)
    return " ".join(text.split())


def same_title(truth: str, found: str | None) -> bool:
    return found is not None and " ".join(truth.split()) == " ".join(found.split())


# --- the pages ----------------------------------------------------------------------------


def wcxb_cases() -> list[Case]:
    cases = []
    for page in load(WCXB):
        # Two truths give only a month ("2015-11"): no day to compare, so no date truth.
        day = date.fromisoformat(page.date) if page.date and len(page.date) == 10 else None
        cases.append(
            Case(page.id, page.half, page.page_type, page.url, page.html, page.title, day,
                 truth_authors(page.author))
        )  # fmt: skip
    return cases


def repo_cases() -> list[Case]:
    """Stored pages of the golden tests; truth is what the golden file expects.

    A title or date the golden file took from the feed or the crawl time is no truth about
    the page, and is left out.
    """
    tests = REPO / "tests"
    found: list[tuple[str, Path, Path, dict[str, str]]] = []
    for html_path in sorted((tests / "data/presets").glob("*.html")):
        side = html_path.with_suffix(".json")
        meta = json.loads(side.read_text(encoding="utf-8")) if side.exists() else {}
        found.append((html_path.stem, html_path, tests / "golden/presets" / side.name, meta))
    demo = REPO / "sokbo/demo/site"
    base = "https://demo.tistory.com"
    for n in range(1, 6):
        meta = {"url": f"{base}/{n}", "preset": "tistory", "timezone": "Asia/Seoul",
                "fetched_at": DEMO_CRAWL}  # fmt: skip
        found.append((f"demo-{n}", demo / f"{n}.html", tests / f"golden/extract/demo-{n}.json",
                      meta))  # fmt: skip
    cases = []
    for name, html_path, golden_path, meta in found:
        golden = json.loads(golden_path.read_text(encoding="utf-8"))
        evidence = dict(golden["evidence"])
        html = decode_html(html_path.read_bytes()).text.replace(
            "__BASE__", "https://demo.tistory.com"
        )
        published = golden.get("published")
        day = (
            datetime.fromisoformat(published).date()
            if published and evidence.get("published") not in ("feed", "crawl time")
            else None
        )
        cases.append(
            Case(
                id=name, half="A" if len(cases) % 2 == 0 else "B", kind="repo",
                url=meta.get("url", f"https://www.example.com/{name}"), html=html,
                title=golden["title"] if evidence.get("title") != "feed" else None, date=day,
                authors=frozenset(name_key(a) for a in golden.get("authors", [])),
                preset=meta.get("preset", name.split("-")[0]),
                fetched_at=datetime.fromisoformat(meta.get("fetched_at", PRESET_CRAWL)),
                timezone=meta.get("timezone", "Asia/Seoul"),
            )
        )  # fmt: skip
    return cases


# --- the tools ----------------------------------------------------------------------------


def run_sokbo(case: Case) -> Answer:
    zone = ZoneInfo(case.timezone)
    page = Page(case.id, case.url, case.url, case.html, case.fetched_at, FeedHint())
    try:
        article = parse_article(page, PRESETS[case.preset], zone, None)
    except ExtractError:
        root = parse_document(case.html)
        info = metadata.read_page(root)
        found_title = metadata.title(root, info)
        published, modified = metadata.dates(root, info, zone, case.fetched_at)
        when = published or modified
        found_authors = metadata.authors(root, info)
        return Answer(
            found_title.value if found_title else None,
            when.value.date() if when else None,
            found_authors.value if found_authors else (),
        )
    crawl = dict(article.evidence).get("published") == "crawl time"
    return Answer(article.title, None if crawl else article.published.date(), article.authors)


def _peers() -> dict[str, Callable[[Case], Answer]]:
    warnings.simplefilter("ignore")
    import newspaper  # type: ignore[import-untyped, import-not-found]
    import trafilatura  # type: ignore[import-not-found]

    def traf(case: Case) -> Answer:
        found = trafilatura.extract_metadata(case.html, default_url=case.url)
        if found is None:
            return Answer(None, None, ())
        day = date.fromisoformat(found.date[:10]) if found.date else None
        people = tuple(a.strip() for a in (found.author or "").split(";") if a.strip())
        return Answer(found.title, day, people)

    def news(case: Case) -> Answer:
        article = newspaper.article(case.url, input_html=case.html, fetch_images=False)
        when = article.publish_date
        day = when.date() if isinstance(when, datetime) else None
        return Answer(article.title or None, day, tuple(article.authors or ()))

    return {"trafilatura": traf, "newspaper4k": news}


def run(tool: Callable[[Case], Answer], cases: list[Case]) -> Run:
    result = Run()
    for case in cases:
        start = time.perf_counter()
        try:
            answer = tool(case)
        except Exception as exc:  # a peer crashing on a page is a result, not a bench bug
            answer = Answer(None, None, ())
            result.failures.append(f"{case.id}: {type(exc).__name__}: {exc}")
        result.seconds[case.id] = time.perf_counter() - start
        result.answers[case.id] = answer
    return result


# --- scoring ------------------------------------------------------------------------------


def author_f1(truth: frozenset[str], found: tuple[str, ...]) -> float:
    got = {name_key(n) for n in found} - {""}
    hits = len(truth & got)
    if not hits:
        return 0.0
    precision, recall = hits / len(got), hits / len(truth)
    return 2 * precision * recall / (precision + recall)


def _share(flags: list[bool]) -> str:
    return f"{100 * sum(flags) / len(flags):5.1f}" if flags else "    -"


def score(cases: list[Case], result: Run) -> dict[str, str]:
    titles, same, none, wrong, f1s, junk, ms = [], [], [], [], [], [], []
    for case in cases:
        answer = result.answers[case.id]
        ms.append(1000 * result.seconds[case.id])
        if case.title:
            titles.append(same_title(case.title, answer.title))
        if case.date:
            same.append(answer.date == case.date)
            none.append(answer.date is None)
            wrong.append(answer.date is not None and answer.date != case.date)
        if case.authors:
            f1s.append(author_f1(case.authors, answer.authors))
        else:
            junk.append(bool(answer.authors))
    return {
        "pages": f"{len(cases):5d}",
        "title": _share(titles),
        "date": _share(same),
        "no date": _share(none),
        "wrong": _share(wrong),
        "authF1": f"{100 * sum(f1s) / len(f1s):5.1f}" if f1s else "    -",
        "junk": _share(junk),
        "ms": f"{sum(ms) / len(ms):6.1f}" if ms else "     -",
    }


def report(label: str, cases: list[Case], results: dict[str, Run]) -> None:
    print(f"\n## {label}")
    header = ["half", "tool", "pages", "title", "date", "no date", "wrong", "authF1", "junk", "ms"]
    print("  ".join(f"{h:>11}" if i == 1 else f"{h:>7}" for i, h in enumerate(header)))
    for half in ("all", "A", "B"):
        part = [c for c in cases if half == "all" or c.half == half]
        if not part:
            continue
        for name, result in results.items():
            row = score(part, result)
            cells = [f"{half:>7}", f"{name:>11}", *(f"{v:>7}" for v in row.values())]
            print("  ".join(cells))


def misses(cases: list[Case], result: Run) -> None:
    """Per page, what sokbo got wrong: for reading failures, not for the tables."""
    for case in cases:
        a = result.answers[case.id]
        notes = []
        if case.title and not same_title(case.title, a.title):
            notes.append(f"title {a.title!r} != {case.title!r}")
        if case.date and a.date != case.date:
            notes.append(f"date {a.date} != {case.date}")
        if case.authors and author_f1(case.authors, a.authors) < 1:
            notes.append(f"authors {list(a.authors)} != {sorted(case.authors)}")
        if not case.authors and a.authors:
            notes.append(f"junk authors {list(a.authors)}")
        for note in notes:
            print(f"{case.id} {case.half} {case.kind}: {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--types", default="all", help="WCXB page types to run, or all")
    parser.add_argument("--dump", type=Path, help="write every answer as JSON here")
    parser.add_argument("--misses", action="store_true", help="list sokbo's misses per page")
    args = parser.parse_args()
    tools = args.tools.split(",")
    calls: dict[str, Callable[[Case], Answer]] = {"sokbo": run_sokbo}
    if set(tools) - {"sokbo"}:
        calls.update(_peers())
    wcxb = wcxb_cases()
    if args.types != "all":
        wcxb = [c for c in wcxb if c.kind in args.types.split(",")]
    dump: dict[str, dict[str, object]] = {}
    # WCXB is run once; its article pages and all its pages are two views of those runs.
    wcxb_views = {"WCXB dev, article pages": "article"}
    if args.types != "article":  # else the same table twice
        wcxb_views[f"WCXB dev, {args.types.replace('all', 'all page types')}"] = "all"
    for cases, views in (
        (wcxb, wcxb_views),
        (repo_cases(), {"repository golden pages": "all"}),
    ):
        results = {name: run(calls[name], cases) for name in tools}
        for label, kind in views.items():
            view = [c for c in cases if kind == "all" or c.kind == kind]
            if view:
                report(label, view, results)
            if args.misses and "sokbo" in results and (kind != "all" or label.startswith("repo")):
                misses(view, results["sokbo"])
        for name, result in results.items():
            for failure in result.failures[:5]:
                print(f"  {name} failed on {failure}")
            for case_id, answer in result.answers.items():
                dump.setdefault(name, {})[case_id] = {
                    "title": answer.title,
                    "date": answer.date.isoformat() if answer.date else None,
                    "authors": list(answer.authors),
                }
    if args.dump:
        args.dump.write_text(json.dumps(dump, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
