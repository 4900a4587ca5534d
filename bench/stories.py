"""Near-duplicate stories (`sokbo.stories`): precision and recall of the same-story rule,
its cost, and how the band keys find candidates.

Run on purpose (not by the test suite):

    .venv/bin/python bench/stories.py [--set tests/data/stories] [--data ../shared/data]
                                      [--seeds 10] [--no-wcxb]

- The labelled set (tests/data/stories, written for this project): precision, recall and
  F1 for halves A and B (the rule's thresholds were fitted on A) and per kind of pair, with
  every misjudged pair; the same again with other MinHash seeds, to show how much of it is
  the luck of one set of permutations.
- The cost of signature_of on 5,000-character articles (Korean and English), of
  same_story on the labelled pairs, and of a stored candidate's from_bytes + same_story.
- Retrieval: the share of accepted pairs that share a band key (all of them: the rule
  requires one), of labelled positives and negatives that do, and the S-curves.
- WCXB (when ``--data``/wcxb-dev exists; read here, never stored): a set derived from its
  article pages. Positives: a page's ground-truth body against a copy with a blog's intro
  and outro, against itself with a sentence dropped, and against a flash made of its title
  and first sentence. Negatives: the most similar pairs of distinct pages by estimated
  Jaccard. Per half (by page id, as bench/devsets.py splits them).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import numpy as np
from datasketch import MinHash  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.devsets import SHARED_DATA, Page, load
from bench.story_cost import measure
from sokbo.stories import Signature, band_keys, same_story, signature_of
from sokbo.stories import sketch as sketch_module
from sokbo.stories.bands import BODY_ROWS, LEAD_ROWS
from sokbo.stories.sketch import NUM_PERM

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "data" / "stories"
HALVES = ("A", "B")


@dataclass(frozen=True)
class Article:
    key: str  # family/article
    title: str
    body: str
    published: datetime
    lang: str


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    label: bool
    kind: str
    split: str
    lang: str


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    wrong: list[str] = field(default_factory=list)

    def add(self, decided: bool, label: bool, name: str) -> None:
        if decided and label:
            self.tp += 1
        elif decided:
            self.fp += 1
            self.wrong.append(f"merged {name}")
        elif label:
            self.fn += 1
            self.wrong.append(f"missed {name}")
        else:
            self.tn += 1

    def line(self) -> str:
        pairs = self.tp + self.fp + self.fn + self.tn
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else None
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else None
        f1 = (
            2 * precision * recall / (precision + recall)
            if precision is not None and recall is not None and precision + recall
            else None
        )
        cells = [_share(v) for v in (precision, recall, f1)]
        return (
            f"{pairs:>5} {self.tp + self.fn:>5} {cells[0]:>9} {cells[1]:>7} {cells[2]:>6}"
            f" {self.fp:>6} {self.fn:>6}"
        )


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


@dataclass
class Context:
    """What the sections share: the arguments, the labelled set and its signatures."""

    args: argparse.Namespace
    articles: dict[str, Article]
    pairs: list[Pair]
    signatures: dict[str, Signature] = field(default_factory=dict)


def load_labelled(folder: Path) -> tuple[dict[str, Article], list[Pair]]:
    """The articles (by family/article) and the pairs of the labelled set."""
    families = json.loads((folder / "families.json").read_text(encoding="utf-8"))
    articles = {
        f"{family['id']}/{a['id']}": Article(
            key=f"{family['id']}/{a['id']}",
            title=a["title"],
            body=a["body"],
            published=datetime.fromisoformat(a["published"]),
            lang=family["lang"],
        )
        for family in families
        for a in family["articles"]
    }
    with (folder / "pairs.jsonl").open(encoding="utf-8") as lines:
        pairs = [Pair(**json.loads(line)) for line in lines if line.strip()]
    return articles, pairs


def sign_all(articles: Iterable[Article]) -> dict[str, Signature]:
    return {a.key: signature_of(a.title, a.body, a.published) for a in articles}


def judge(pairs: list[Pair], signatures: dict[str, Signature]) -> dict[tuple[str, str], Tally]:
    """Tallies by (half, group): group "all", "kind:<kind>" and "lang:<lang>"."""
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for p in pairs:
        decided = same_story(signatures[p.a], signatures[p.b])
        name = f"{p.kind}: {p.a} ~ {p.b}"
        for half in (p.split, "all"):
            for group in ("all", f"kind:{p.kind}", f"lang:{p.lang}"):
                tallies[half, group].add(decided, p.label, name)
    return tallies


HEADER = (
    f"  {'':<34}{'pairs':>5} {'same':>5} {'precision':>9} {'recall':>7} {'F1':>6}"
    f" {'merged':>6} {'missed':>6}"
)


def labelled_section(context: Context) -> None:
    context.signatures = sign_all(context.articles.values())
    tallies = judge(context.pairs, context.signatures)
    kinds = sorted({p.kind for p in context.pairs})
    print(f"labelled set ({len(context.pairs)} pairs, {len(context.articles)} articles)")
    for half in (*HALVES, "all"):
        print(f" half {half}" if half != "all" else " both halves")
        print(HEADER)
        groups = ["all", "lang:ko", "lang:en", *(f"kind:{k}" for k in kinds)]
        for group in groups:
            if (half, group) in tallies:
                print(f"  {group:<34}" + tallies[half, group].line())
        if half != "all":
            for wrong in tallies[half, "all"].wrong:
                print(f"    {wrong}")
    print()


def _reseed(seed: int) -> None:
    # For this measurement only: the sketch's permutations as if SEED were `seed`.
    a, b = MinHash(NUM_PERM, seed, scheme=sketch_module.SCHEME).permutations
    sketch_module._A = np.asarray(a, dtype=np.uint32)
    sketch_module._B = np.asarray(b, dtype=np.uint32)
    sketch_module.SEED = seed


def seeds_section(context: Context) -> None:
    if context.args.seeds <= 0:
        return
    original = sketch_module.SEED
    found: dict[str, list[tuple[float, float]]] = defaultdict(list)
    try:
        for seed in range(1, context.args.seeds + 1):
            _reseed(original + seed)
            tallies = judge(context.pairs, sign_all(context.articles.values()))
            for half in HALVES:
                t = tallies[half, "all"]
                found[half].append((t.tp / max(t.tp + t.fp, 1), t.tp / max(t.tp + t.fn, 1)))
    finally:
        _reseed(original)
    print(f"the labelled set with {context.args.seeds} other MinHash seeds")
    for half in HALVES:
        precision = [p for p, _ in found[half]]
        recall = [r for _, r in found[half]]
        failing = sum(1 for p, r in found[half] if p < 0.98 or r < 0.95)
        print(
            f"  half {half}: precision min {min(precision):.3f}"
            f" mean {statistics.mean(precision):.3f},"
            f" recall min {min(recall):.3f} mean {statistics.mean(recall):.3f};"
            f" seeds below 0.98/0.95: {failing}"
        )
    print()


def _timings(calls: Iterable[Callable[[], object]], repeat: int) -> tuple[float, float]:
    """Mean and 99th percentile in milliseconds."""
    calls = list(calls)
    for call in calls[:5]:  # warm-up
        call()
    times = []
    for _ in range(repeat):
        for call in calls:
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
    times.sort()
    return 1000 * statistics.mean(times), 1000 * times[min(len(times) - 1, int(0.99 * len(times)))]


def long_texts(articles: Iterable[Article], lang: str, size: int, count: int) -> list[str]:
    """`count` texts of `size` characters, each the labelled set's bodies of one language
    in another order, joined."""
    bodies = [a.body for a in articles if a.lang == lang]
    rng = random.Random(lang)
    texts = []
    for _ in range(count):
        rng.shuffle(bodies)
        texts.append("\n".join(bodies)[:size])
    return texts


def _stored_candidate(new: Signature, stored: bytes) -> bool:
    return same_story(new, Signature.from_bytes(stored))


def cost_section(context: Context) -> None:
    when = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)
    print("cost (ms)                                mean      p99")
    for lang in ("ko", "en"):
        texts = long_texts(context.articles.values(), lang, 5000, 20)
        mean, p99 = _timings([partial(signature_of, "A title", text, when) for text in texts], 10)
        print(f"  signature_of, 5,000 characters ({lang})  {mean:7.3f}  {p99:7.3f}")
    signatures = context.signatures
    pairs = [(signatures[p.a], signatures[p.b]) for p in context.pairs]
    mean, p99 = _timings([partial(same_story, a, b) for a, b in pairs], 5)
    print(f"  same_story, labelled pairs              {mean:7.3f}  {p99:7.3f}")
    stored = [(a, b.to_bytes()) for a, b in pairs]
    mean, p99 = _timings([partial(_stored_candidate, a, data) for a, data in stored], 5)
    print(f"  from_bytes + same_story (a candidate)   {mean:7.3f}  {p99:7.3f}")
    sizes = [len(s.to_bytes()) for s in signatures.values()]
    print(f"  signature bytes: mean {statistics.mean(sizes):.0f}, max {max(sizes)}")
    print()


def _candidate(j: float, rows: int) -> float:
    return 1 - (1 - j**rows) ** (NUM_PERM // rows)


def retrieval_section(context: Context) -> None:
    signatures = context.signatures
    keys = {k: set(band_keys(s)) for k, s in signatures.items()}
    shared = Counter[tuple[bool, bool]]()
    accepted = 0
    for p in context.pairs:
        decided = same_story(signatures[p.a], signatures[p.b])
        found = bool(keys[p.a] & keys[p.b])
        if decided and not found:
            raise AssertionError(f"{p.a} ~ {p.b}: accepted without a band key in common")
        shared[p.label, found] += 1
        accepted += decided
    positives = shared[True, True] + shared[True, False]
    negatives = shared[False, True] + shared[False, False]
    print("retrieval by band keys")
    print(f"  accepted pairs sharing a band key: {accepted} of {accepted} (the rule requires one)")
    print(f"  labelled positives sharing one: {shared[True, True]} of {positives}")
    print(f"  labelled negatives sharing one (then refused): {shared[False, True]} of {negatives}")
    print(
        f"  S-curves, P(candidate) at Jaccard J: body {BODY_ROWS} rows x"
        f" {NUM_PERM // BODY_ROWS} bands, lead {LEAD_ROWS} x {NUM_PERM // LEAD_ROWS}"
    )
    grid = (0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8)
    print("    J     " + "".join(f"{j:>7}" for j in grid))
    print("    body  " + "".join(f"{_candidate(j, BODY_ROWS):>7.3f}" for j in grid))
    print("    lead  " + "".join(f"{_candidate(j, LEAD_ROWS):>7.3f}" for j in grid))
    print()


# --- the derived WCXB set ------------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“'(])|\n+")
INTROS = (
    "Sharing this for anyone who missed it:",
    "From our weekly reading list.",
    "Here's the full piece, worth a read.",
)
OUTROS = (
    "This article was originally published elsewhere. All rights belong to the author.",
    "Source: the original site. Like and share if you found this useful!",
    "Reposted with credit. Follow us for more updates. #news",
)


@dataclass(frozen=True)
class DerivedPair:
    a: Signature
    b: Signature
    label: bool
    kind: str
    name: str


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def derived_pairs(
    pages: list[Page], rng: random.Random
) -> tuple[list[DerivedPair], list[Signature]]:
    """Positives from one page's transformed copies, negatives the most similar pages; and
    the signatures of the pages themselves."""
    when = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)
    out: list[DerivedPair] = []
    originals: list[tuple[str, Signature]] = []
    for page in pages:
        title, body, page_id = page.title or "", page.truth, page.id
        sentences = _sentences(body)
        # The lede: the first real sentence, not a heading ("Key Takeaways", "Introduction").
        ledes = [s for s in sentences[:6] if len(s) >= 60 and s[-1] in ".!?\"'”’"]
        if len(body) < 400 or len(sentences) < 4 or not ledes:
            continue
        original = signature_of(title, body, when)
        originals.append((page_id, original))
        copy = "\n".join([rng.choice(INTROS), body, rng.choice(OUTROS)])
        dropped = list(sentences)
        del dropped[rng.randrange(1, len(dropped))]
        lede = ledes[0]
        for kind, title_b, body_b, hours in (
            ("copy", title, copy, 3),
            ("edited_copy", title, " ".join(dropped), 26),
            ("lede_vs_full", f"BREAKING: {title}", lede, -1),
        ):
            other = signature_of(title_b, body_b, when + timedelta(hours=hours))
            out.append(DerivedPair(original, other, True, kind, f"{kind}: {page_id}"))
    # Hard negatives: each page's nearest other page by estimated Jaccard, published an
    # hour apart so that no rule on time helps.
    values = np.array([s.body.hashvalues for _, s in originals], dtype=np.uint32)
    seen: set[tuple[int, int]] = set()
    for i in range(len(originals)):
        agree = (values == values[i]).sum(axis=1)
        agree[i] = -1
        j = int(agree.argmax())
        pair = (min(i, j), max(i, j))
        if pair in seen:
            continue
        seen.add(pair)
        (id_a, a), (id_b, b) = originals[pair[0]], originals[pair[1]]
        later = Signature(
            body=b.body,
            body_size=b.body_size,
            lead_shingles=b.lead_shingles,
            numbers=b.numbers,
            source=b.source,
            length=b.length,
            published=a.published + 3600,
        )
        name = f"nearest (J≈{agree.max() / NUM_PERM:.2f}): {id_a} ~ {id_b}"
        out.append(DerivedPair(a, later, False, "nearest_pages", name))
    return out, [s for _, s in originals]


def sharing_a_key(signatures: list[Signature]) -> tuple[int, int]:
    """How many pairs of the signatures share a band key, of how many pairs."""
    holders: dict[int, set[int]] = defaultdict(set)
    for index, signature in enumerate(signatures):
        for key in band_keys(signature):
            holders[key].add(index)
    sharing = {(i, j) for group in holders.values() for i in group for j in group if i < j}
    return len(sharing), len(signatures) * (len(signatures) - 1) // 2


def wcxb_section(context: Context) -> None:
    folder = context.args.data / "wcxb-dev"
    if context.args.no_wcxb or not folder.exists():
        print(f"WCXB: skipped ({folder} not found)" if not context.args.no_wcxb else "")
        return
    with redirect_stdout(io.StringIO()):
        pages = [p for p in load(folder) if p.page_type == "article"]
    print(f"WCXB derived set ({len(pages)} article pages; read here, never stored)")
    print(HEADER)
    sharing, total = 0, 0
    for half in HALVES:
        rng = random.Random(f"wcxb-{half}")
        pairs, originals = derived_pairs([p for p in pages if p.half == half], rng)
        tallies: dict[str, Tally] = defaultdict(Tally)
        for pair in pairs:
            decided = same_story(pair.a, pair.b)
            for group in ("all", f"kind:{pair.kind}"):
                tallies[group].add(decided, pair.label, pair.name)
        print(f" half {half}")
        for group in sorted(tallies, key=lambda g: (g != "all", g)):
            print(f"  {group:<34}" + tallies[group].line())
        for wrong in tallies["all"].wrong[:15]:
            print(f"    {wrong}")
        if len(tallies["all"].wrong) > 15:
            print(f"    ... and {len(tallies['all'].wrong) - 15} more")
        found, pairs_of = sharing_a_key(originals)
        sharing, total = sharing + found, total + pairs_of
    # How often two distinct pages share a band key: the candidates the store compares.
    print(
        f"  pairs of distinct pages (same half) sharing a band key: {sharing} of {total}"
        f" ({sharing / max(total, 1):.3%})"
    )
    print()


def scale_section(context: Context) -> None:
    """The check with many articles stored, in the real store (bench/story_cost.py)."""
    stored = context.args.stored
    if not stored:
        return
    print(f"== the check in the store ({'PostgreSQL' if context.args.postgres else 'SQLite'})")
    with tempfile.TemporaryDirectory() as folder:
        url = context.args.postgres or f"sqlite:///{folder}/bench.db"
        print("\n".join(measure(url, stored, context.args.new).lines()))
    print()


# Sections run in this order, each printing its own report; append one to measure more.
SECTIONS: list[Callable[[Context], None]] = [
    labelled_section,
    seeds_section,
    cost_section,
    retrieval_section,
    wcxb_section,
    scale_section,
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=LABELLED, help="the labelled set's folder")
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="holds wcxb-dev")
    parser.add_argument("--seeds", type=int, default=10, help="other MinHash seeds to try")
    parser.add_argument("--no-wcxb", action="store_true", help="skip the derived WCXB set")
    parser.add_argument(
        "--stored", type=int, default=0, help="also time the check with this many stored"
    )
    parser.add_argument("--new", type=int, default=1000, help="new articles timed (--stored)")
    parser.add_argument("--postgres", help="with --stored: a PostgreSQL URL, not SQLite")
    args = parser.parse_args()
    articles, pairs = load_labelled(args.set)
    context = Context(args=args, articles=articles, pairs=pairs)
    for section in SECTIONS:
        section(context)


if __name__ == "__main__":
    main()
