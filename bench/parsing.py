"""Cost of parsing pages as a browser does: libxml2's HTML parser against lexbor's tree.

    python bench/parsing.py [--repeat N] [--show N]

Every page of ``aeb-dev`` and ``wcxb-dev`` (see ``bench/devsets.py``) is parsed in this
process with the old path (``lxml.html.document_fromstring``, libxml2) and the new one
(``sokbo.web.htmlparse.parse_document``, lexbor copied into lxml), in the same run and on the
same strings, so the ratio compares like with like. The best of ``--repeat`` runs of each
page is kept (see ``time_parsers``), which hides noise from other processes. A third
path is timed for comparison: lexbor's tree serialised and parsed again by libxml2, the
cheaper way to reach lxml, which sokbo does not take because libxml2 re-nests what it
does not expect in that HTML.

It also counts the pages whose visible text differs between the two trees: how often
the parser changes what there is to extract at all. "Words" compares the text as a
multiset of words (something kept by one parser is missing in the other); "order" only
the order of the same words (foster-parented table content, for instance).
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import lxml.html
from lxml.etree import ParserError
from selectolax.lexbor import LexborHTMLParser

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.devsets import AEB, WCXB, Page, load
from sokbo.web.htmlparse import parse_document

Parser = Callable[[str], lxml.html.HtmlElement]

# libxml2 refuses a str that starts with an XML declaration; sokbo stripped it.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)
# What a browser never shows as text in the body.
_HIDDEN = ("script", "style", "noscript", "template", "title", "head", "textarea", "select")
_WORD = re.compile(r"\w+")


def parse_libxml2(html: str) -> lxml.html.HtmlElement:
    """The old path, as sokbo.web.htmlparse.parse_document was before lexbor."""
    return lxml.html.document_fromstring(_XML_DECLARATION.sub("", html, count=1))


def parse_reserialised(html: str) -> lxml.html.HtmlElement:
    """The alternative: lexbor's tree written out as HTML and parsed by libxml2."""
    return lxml.html.document_fromstring(LexborHTMLParser(html).html or "")


def time_parsers(parsers: list[Parser], pages: list[Page], repeat: int) -> list[float]:
    """Milliseconds per page of each parser: per page, the best of ``repeat`` runs.

    The parsers take turns page by page, so that load from other processes on a shared
    machine falls on all of them alike; the best run of each page drops what remains.
    """
    totals = [0.0] * len(parsers)
    for page in pages:
        best = [float("inf")] * len(parsers)
        for _ in range(repeat):
            for i, parse in enumerate(parsers):
                start = time.perf_counter()
                with contextlib.suppress(ParserError, ValueError):
                    parse(page.html)
                best[i] = min(best[i], time.perf_counter() - start)
        totals = [total + b for total, b in zip(totals, best, strict=True)]
    return [total * 1000 / len(pages) for total in totals]


def visible_words(parse: Parser, html: str) -> list[str]:
    """The words of the body a browser shows (hidden and raw-text elements left out)."""
    try:
        root = parse(html)
    except (ParserError, ValueError):
        return []
    for element in list(root.iter(*_HIDDEN)):
        if element.getparent() is not None:
            element.drop_tree()
    body = root.find("body")
    return _WORD.findall(body.text_content()) if body is not None else []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes per parser (best kept)")
    parser.add_argument("--show", type=int, default=10, help="pages listed whose words differ")
    args = parser.parse_args()

    for name, data in (("aeb-dev", AEB), ("wcxb-dev", WCXB)):
        pages = load(data)
        old_ms, new_ms, again_ms = time_parsers(
            [parse_libxml2, parse_document, parse_reserialised], pages, args.repeat
        )
        order = words = unfaithful = 0
        listed: list[str] = []
        for page in pages:
            old, new = (
                visible_words(parse_libxml2, page.html),
                visible_words(parse_document, page.html),
            )
            unfaithful += new != visible_words(parse_reserialised, page.html)
            if old == new:
                continue
            if Counter(old) == Counter(new):
                order += 1
                continue
            words += 1
            lost, gained = Counter(old) - Counter(new), Counter(new) - Counter(old)
            listed.append(
                f"  {page.id}: libxml2 {len(old)} words, lexbor {len(new)}"
                f" (only libxml2 {sum(lost.values())}, only lexbor {sum(gained.values())})"
            )
        print(f"{name}: {len(pages)} pages")
        print(f"  libxml2  {old_ms:6.2f} ms/page")
        print(f"  lexbor   {new_ms:6.2f} ms/page  ({new_ms / old_ms:.2f}x libxml2)")
        print(f"  re-parse {again_ms:6.2f} ms/page  ({again_ms / old_ms:.2f}x libxml2)")
        print(f"  visible text differs: words {words}, order only {order}")
        print(f"  re-parse's visible text differs from lexbor's tree: {unfaithful}")
        for line in listed[: args.show]:
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
