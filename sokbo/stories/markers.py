"""The marks news text carries besides its story: version prefixes, datelines, credits."""

from __future__ import annotations

import re

__all__ = ["HEAD_LINES", "source_mark", "strip_prefixes", "strip_wire_marks"]

# The markers an outlet puts before a headline or a body to say which version it is. They
# change from one version of a story to the next ("[속보]", then "[2보]", then "[종합]";
# "BREAKING:", then "UPDATE 1-"), so they must not count as text the versions differ in.
_BRACKETED = re.compile(
    r"""\s*[\[【〔(<〈《]\s*(?:
        속보|긴급|1보|[0-9]+보|종합(?:\s*[0-9]+보)?|[0-9]+보\s*[·,]?\s*종합|상보|단독|특보|업데이트|
        lead|urgent|update(?:\s*[0-9]+)?|breaking(?:\s+news)?|[0-9]+(?:st|nd|rd|th)\s+ld|ld|
        news\s+focus|corrected|correction|exclusive
    )\s*[\]】〕)>〉》]\s*""",
    re.IGNORECASE | re.VERBOSE,
)
# Reuters-style slugs ("UPDATE 2-", "EXCLUSIVE-") and wire labels ("BREAKING:", "URGENT -").
_LABELLED = re.compile(
    r"""\s*(?:
        (?:update|wrapup|refile|corrected|rpt|exclusive|factbox)(?:\s*[0-9]+)?\s*-\s*|
        (?:breaking(?:\s+news)?|urgent|just\s+in|developing|updated?|속보|긴급)\s*[:：|\-–—]\s*
    )""",
    re.IGNORECASE | re.VERBOSE,
)

# A wire's dateline and credits: "(서울=한누리통신) 박지현 기자 = ", "NEWARK, N.J., May 2
# (Harbor Wire) - ", a reporter's e-mail, "(END)", "Reporting by ...; Editing by ...". A copy
# keeps or drops them at will, and in a one-line flash the dateline would weigh more than
# what the flash says. A dateline is looked for at the start of the first HEAD_LINES lines
# (a blog puts a line of its own before it), credit lines in the last HEAD_LINES.
HEAD_LINES = 3
_KO_DATELINE = re.compile(
    r"[ \t]*([\[(【][^\])】\n=]{1,20}=[^\])】\n]{1,30}[\])】])"  # (서울=한누리통신)
    r"[ \t]*(?:([^=\n]{0,30}?)[ \t]*=)?[ \t]*"  # 박지현 기자 =
)
_EN_DATELINE = re.compile(
    r"[ \t]*([A-Z][A-Z.'-]+(?:[ \t]+[A-Z][A-Z.'-]+)*(?:,[^()\n]{1,40}?)?[ \t]*\([^()\n]{2,40}\))"
    r"[ \t]*(?:--|[-—–])[ \t]+"
)
_CREDIT_LINE = re.compile(r"[ \t]*(?:additional\s+)?(?:reporting|writing|editing)\s+by\b", re.I)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_SPACES = re.compile(r"\s+")


def strip_prefixes(text: str) -> str:
    """The text without the version markers news outlets put before it ([속보], UPDATE 2-)."""
    while found := _BRACKETED.match(text) or _LABELLED.match(text):
        text = text[found.end() :]
    return text


def _dateline(line: str) -> re.Match[str] | None:
    return _KO_DATELINE.match(line) or _EN_DATELINE.match(line)


def strip_wire_marks(text: str) -> str:
    """The text without its dateline, credit lines, e-mail addresses and "(END)"."""
    lines = text.split("\n")
    for number, line in enumerate(lines[:HEAD_LINES]):
        found = _dateline(line)
        if found:
            lines[number] = line[found.end() :]
            break
    tail = max(0, len(lines) - HEAD_LINES)
    lines[tail:] = [line for line in lines[tail:] if not _CREDIT_LINE.match(line)]
    # Searched for only where an @ is: over a whole article it costs more than the rest.
    lines = [_EMAIL.sub(" ", line) if "@" in line else line for line in lines]
    return "\n".join(lines).replace("(END)", " ")


def source_mark(text: str) -> str:
    """The text's wire dateline, normalised ("(강릉=한누리통신)이상훈기자",
    "tucson,ariz.,june11(pacificpress)"); "" when it has none.

    Every version of a wire story carries the same one, the flash included, and another
    outlet's report of the same event carries another (or none)."""
    for line in text.split("\n", HEAD_LINES)[:HEAD_LINES]:
        found = _dateline(line)
        if found:
            mark = "".join(part for part in found.groups() if part)
            return _SPACES.sub("", mark).casefold()
    return ""
