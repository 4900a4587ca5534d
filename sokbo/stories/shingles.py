"""Character shingles of normalised text, hashed in bulk to 32-bit values."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sokbo.stories.normalise import CodePoints

__all__ = ["SHINGLE_WEIGHT", "lead_points", "shingle_hashes", "shingles"]

# A shingle is the shortest run of characters from a position whose weight reaches
# SHINGLE_WEIGHT, a Hangul syllable or a CJK character weighing 2 and anything else 1: a
# syllable carries about as much as two Latin letters, so "fire kil" (8 letters) and "주택
# 화재" (4 syllables and a space) are equally specific, and Korean needs no tokenizer.
# Shorter shingles make unrelated English texts share common word pieces; longer ones make
# a light edit (a word changed) cost more of the similarity.
SHINGLE_WEIGHT = 8

_WIDE_RANGES = (
    (0x1100, 0x115F),  # Hangul Jamo (leading consonants)
    (0x2E80, 0xA4CF),  # CJK radicals, kana, ideographs, Yi
    (0xAC00, 0xD7A3),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
)
_ASTRAL_WIDE = (0x20000, 0x3FFFF)  # CJK extensions
_WEIGHT_BMP = np.ones(0x10000, dtype=np.int64)
for _low, _high in _WIDE_RANGES:
    _WEIGHT_BMP[_low : _high + 1] = 2

# A polynomial hash over code points, modulo 2**64: the hash of any window is a difference
# of two prefix sums times a power of the inverse base, so every window of a text is hashed
# at once by numpy instead of one Python call per shingle.
_BASE = np.uint64(0x100000001B3)  # odd, hence invertible modulo 2**64
_BASE_INVERSE = np.uint64(pow(int(_BASE), -1, 1 << 64))
_MIX_1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX_2 = np.uint64(0xC4CEB9FE1A85EC53)
_SHIFT_33 = np.uint64(33)
_SHIFT_32 = np.uint64(32)
_LENGTH_SHIFT = np.uint64(56)

U32Array = npt.NDArray[np.uint32]
U64Array = npt.NDArray[np.uint64]
IntArray = npt.NDArray[np.int64]


def _weights(points: CodePoints) -> IntArray:
    """The cumulative weight before each code point, and after the last one."""
    weights = _WEIGHT_BMP[np.minimum(points, 0xFFFF)]
    astral = points > 0xFFFF
    if astral.any():
        weights[astral] = np.where(
            (points[astral] >= _ASTRAL_WIDE[0]) & (points[astral] <= _ASTRAL_WIDE[1]), 2, 1
        )
    cumulative = np.zeros(len(points) + 1, dtype=np.int64)
    np.cumsum(weights, out=cumulative[1:])
    return cumulative


def _windows(points: CodePoints) -> tuple[IntArray, IntArray]:
    """Start and end of every shingle; the whole text when it is lighter than one."""
    size = len(points)
    if not size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    weight = _weights(points)
    # first[w]: the first position whose cumulative weight reaches w. Weights rise by 1 or
    # 2, so this is a scatter and a running minimum, cheaper than a binary search each.
    first = np.full(int(weight[-1]) + SHINGLE_WEIGHT + 1, size + 1, dtype=np.int64)
    first[weight] = np.arange(size + 1)
    first = np.minimum.accumulate(first[::-1])[::-1]
    ends = first[weight[:-1] + SHINGLE_WEIGHT]
    whole = np.flatnonzero(ends <= size)
    if not len(whole):
        return np.zeros(1, dtype=np.int64), np.array([size], dtype=np.int64)
    return whole.astype(np.int64), ends[whole].astype(np.int64)


def _powers(base: np.uint64, count: int) -> U64Array:
    powers = np.full(count, base, dtype=np.uint64)
    if count:
        powers[0] = 1
    return np.cumprod(powers, dtype=np.uint64)


# Long enough for nearly every article; a longer text computes its own.
_CACHED = 1 << 15
_POWERS = _powers(_BASE, _CACHED)
_INVERSE_POWERS = _powers(_BASE_INVERSE, _CACHED)


def _mix(values: U64Array) -> U32Array:
    # MurmurHash3's 64-bit finaliser: every input bit reaches the 32 bits that are kept.
    values = values ^ (values >> _SHIFT_33)
    values = values * _MIX_1
    values = values ^ (values >> _SHIFT_33)
    values = values * _MIX_2
    values = values ^ (values >> _SHIFT_33)
    return (values >> _SHIFT_32).astype(np.uint32)


def shingle_hashes(points: CodePoints) -> U32Array:
    """The distinct 32-bit hashes of the shingles of normalised code points, sorted."""
    starts, ends = _windows(points)
    if not len(starts):
        return np.zeros(0, dtype=np.uint32)
    size = len(points)
    prefix = np.zeros(size + 1, dtype=np.uint64)
    powers = _POWERS[:size] if size <= _CACHED else _powers(_BASE, size)
    inverse = _INVERSE_POWERS if size <= _CACHED else _powers(_BASE_INVERSE, size)
    np.cumsum((points.astype(np.uint64) + np.uint64(1)) * powers, dtype=np.uint64, out=prefix[1:])
    windows = (prefix[ends] - prefix[starts]) * inverse[starts]
    # With the length in, a window never hashes like a longer one padded with zeros.
    windows ^= (ends - starts).astype(np.uint64) << _LENGTH_SHIFT
    hashes = np.sort(_mix(windows))
    distinct = np.ones(len(hashes), dtype=bool)
    distinct[1:] = hashes[1:] != hashes[:-1]
    return hashes[distinct]


def shingles(points: CodePoints) -> list[str]:
    """The shingles as text, in order, repeats included (to read and test what is hashed)."""
    text = points.astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")
    starts, ends = _windows(points)
    return [text[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]


def lead_points(points: CodePoints, weight: int) -> CodePoints:
    """The start of normalised code points up to the given weight, cut after a word when
    one ends in its second half, so that the last shingle is not half a word."""
    weights = _weights(points)
    cut = int(np.searchsorted(weights, weight, side="right")) - 1
    if cut >= len(points):
        return points
    spaces = np.flatnonzero(points[cut // 2 : cut] == ord(" "))
    if len(spaces):
        cut = cut // 2 + int(spaces[-1])
    return points[:cut]
