"""Text normalisation for story matching: NFKC, marks stripped, casefold, numbers."""

from __future__ import annotations

import re
import unicodedata
from itertools import islice

import numpy as np
import numpy.typing as npt

from sokbo.stories.markers import strip_prefixes, strip_wire_marks

__all__ = ["CodePoints", "nfkc", "normalise", "normalised_points", "numbers", "unmarked"]

CodePoints = npt.NDArray[np.uint32]

# Digits with the separators inside numbers: 2,612.34 and 2.3 are one number each.
_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)*")
_THOUSANDS = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")

# Which code points of the Basic Multilingual Plane are letters or digits (str.isalnum):
# anything else is a separator. Copies change quotes, ellipses, dashes and the middle dot
# (…, ·) freely, and that says nothing about the story. A table lookup in numpy costs a
# tenth of a regular expression over a long article.
_ALNUM_BMP = np.array([chr(c).isalnum() for c in range(0x10000)], dtype=bool)
_SPACE = np.uint32(ord(" "))


def nfkc(text: str) -> str:
    """The text in Unicode NFKC (full-width forms, ligatures and compatibility characters
    as their plain letters and digits)."""
    # The check is a hundred times quicker than normalising Hangul that needs nothing.
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def unmarked(text: str) -> str:
    """The text in NFKC without version markers ([속보], UPDATE 2-) and wire marks
    (dateline, credits, e-mails): what normalised_points and numbers read."""
    return strip_wire_marks(strip_prefixes(nfkc(text)))


def normalised_points(text: str) -> CodePoints:
    """The code points of an unmarked text casefolded, every run of characters other than
    letters and digits one space, no space at either end."""
    folded = text.casefold()
    points = np.frombuffer(folded.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    word = _ALNUM_BMP[np.minimum(points, 0xFFFF)]
    astral = np.flatnonzero(points > 0xFFFF)
    if len(astral):  # rare (CJK extensions, emoji): asked one by one
        word[astral] = [chr(int(p)).isalnum() for p in points[astral]]
    # Keep every letter and digit, and the first separator after one, as a space.
    keep = word.copy()
    keep[1:] |= word[:-1]
    out: CodePoints = np.where(word, points, _SPACE)[keep].astype(np.uint32)
    if len(out) and out[-1] == _SPACE:
        out = out[:-1]
    return out


def normalise(text: str) -> str:
    """The text as story matching reads it: unmarked, then normalised_points as a string."""
    points = normalised_points(unmarked(text))
    return points.astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")


# Longer runs of digits are no quantities a story reports (serial numbers, garbage); cut,
# they still compare, and a signature's numbers stay small.
_LONGEST = 24


def _canonical(number: str) -> str:
    if number.isdigit():
        return (number.lstrip("0") or "0")[:_LONGEST]
    whole, _, fraction = number.partition(".")
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return (f"{whole}.{fraction}" if fraction else whole)[:_LONGEST]


def _split(found: str) -> list[str]:
    if found.isdigit():
        return [found]
    if _THOUSANDS.fullmatch(found):
        return [found.replace(",", "")]
    parts = found.split(",")
    # A date 2024.03.05 is three numbers; 2.3 is one.
    return [p for part in parts for p in ([part] if part.count(".") <= 1 else part.split("."))]


def numbers(text: str, limit: int | None = None) -> tuple[str, ...]:
    """The first `limit` (or all) numbers of an unmarked text in order, canonical: 1,234.50
    is 1234.5, 09 is 9."""
    found = (_canonical(n) for m in _NUMBER.finditer(text) for n in _split(m.group()))
    return tuple(islice(found, limit))
