"""An article's story signature: its body's MinHash, its lead's shingles, numbers, time."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import numpy as np
from datasketch import LeanMinHash  # type: ignore[import-untyped]

from sokbo.stories.markers import source_mark
from sokbo.stories.normalise import nfkc, normalised_points, numbers, unmarked
from sokbo.stories.shingles import lead_points, shingle_hashes
from sokbo.stories.sketch import NUM_PERM, lean, minhash

__all__ = ["LEAD_WEIGHT", "MAX_NUMBERS", "VERSION", "Signature", "signature_of"]

# The first byte of every stored signature. A change of the normalisation, the shingles or
# the sketch parameters makes old and new signatures incomparable: bump it and re-index.
VERSION = 1
# The lead is the body's first LEAD_WEIGHT of weight (a syllable weighs 2): one Korean
# sentence of about 80 syllables, or two English lines. A one-line [속보] is all lead, and
# the full article that follows starts with the same facts in about the same words. The
# title stays out: every version gets a new one ("[속보] ...", "[2보] ...", "[종합] ..."),
# and with it the leads of a flash and of its full article were less alike, not more.
# The lead is small enough to keep its shingles themselves (at most LEAD_WEIGHT of them),
# so that how much of one lead is in another is counted, not estimated.
LEAD_WEIGHT = 160
# A long article's numbers after these add nothing to telling templates apart.
MAX_NUMBERS = 64

# version, published, source, normalised length, body shingles, lead shingles, numbers' bytes
_HEADER = struct.Struct("<BqIIIHH")
_SKETCH_BYTES = NUM_PERM * 4


def _source_id(text: str) -> int:
    mark = source_mark(text)
    if not mark:
        return 0
    digest = hashlib.blake2b(mark.encode("utf-8", "surrogatepass"), digest_size=4).digest()
    return int.from_bytes(digest, "little") or 1  # 0 means no source


@dataclass(frozen=True)
class Signature:
    """What same_story needs to know of an article, without its text."""

    body: LeanMinHash  # of the body's shingles
    body_size: int  # distinct shingles in the body; 0 for an empty body
    lead_shingles: tuple[int, ...]  # the lead's distinct shingle hashes, sorted
    numbers: tuple[str, ...]  # the title's then the body's, canonical, at most MAX_NUMBERS
    source: int  # a hash of the wire dateline (source_mark); 0 for none
    length: int  # characters of the normalised body
    published: int  # UTC epoch seconds

    @cached_property
    def lead(self) -> LeanMinHash:
        """The MinHash of the lead's shingles, for its band keys."""
        return minhash(np.array(self.lead_shingles, dtype=np.uint32))

    def to_bytes(self) -> bytes:
        """A version byte, a fixed header, the body's MinHash, the lead's shingles, then the
        numbers (ASCII, comma-separated)."""
        numbers_text = ",".join(self.numbers).encode("ascii")
        header = _HEADER.pack(
            VERSION,
            self.published,
            self.source,
            self.length,
            self.body_size,
            len(self.lead_shingles),
            len(numbers_text),
        )
        body = np.asarray(self.body.hashvalues, dtype="<u4").tobytes()
        lead = np.array(self.lead_shingles, dtype="<u4").tobytes()
        return header + body + lead + numbers_text

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        """The signature to_bytes made these bytes from; ValueError for any other bytes."""
        fixed = _HEADER.size + _SKETCH_BYTES
        if len(data) < fixed:
            raise ValueError(f"a story signature has at least {fixed} bytes, not {len(data)}")
        version, published, source, length, body_size, lead_size, numbers_size = (
            _HEADER.unpack_from(data)
        )
        if version != VERSION:
            raise ValueError(f"story signature version {version}, expected {VERSION}")
        if len(data) != fixed + 4 * lead_size + numbers_size:
            raise ValueError("a story signature's length does not match its header")
        body = np.frombuffer(data, dtype="<u4", count=NUM_PERM, offset=_HEADER.size)
        lead = np.frombuffer(data, dtype="<u4", count=lead_size, offset=fixed)
        if lead_size and not bool(np.all(lead[1:] > lead[:-1])):
            raise ValueError("a story signature's lead shingles are not sorted and distinct")
        numbers_text = data[fixed + 4 * lead_size :].decode("ascii")
        found = tuple(numbers_text.split(",")) if numbers_text else ()
        if not all(n.replace(".", "", 1).isdigit() for n in found):
            raise ValueError("a story signature's numbers are not numbers")
        return cls(
            body=lean(body.astype(np.uint32)),
            body_size=body_size,
            lead_shingles=tuple(lead.tolist()),
            numbers=found,
            source=source,
            length=length,
            published=published,
        )


def signature_of(title: str, text: str, published: datetime) -> Signature:
    """The signature of an article from its title, its plain body text and its (timezone-
    aware) publication time."""
    if published.utcoffset() is None:
        raise ValueError("published must be timezone-aware")
    plain = nfkc(text)
    unmarked_text = unmarked(plain)
    body = normalised_points(unmarked_text)
    body_shingles = shingle_hashes(body)
    return Signature(
        body=minhash(body_shingles),
        body_size=len(body_shingles),
        lead_shingles=tuple(shingle_hashes(lead_points(body, LEAD_WEIGHT)).tolist()),
        numbers=(numbers(unmarked(title)) + numbers(unmarked_text, MAX_NUMBERS))[:MAX_NUMBERS],
        source=_source_id(plain),
        length=len(body),
        published=int(published.timestamp()),
    )
