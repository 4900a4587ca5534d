"""MinHash sketches of shingle hashes: datasketch's MinHash, filled in bulk."""

from __future__ import annotations

import numpy as np
from datasketch import LeanMinHash, MinHash  # type: ignore[import-untyped]

from sokbo.stories.shingles import U32Array

__all__ = ["NUM_PERM", "SCHEME", "SEED", "lean", "minhash"]

# Fixed for good: a signature stored by one process is compared with one made by another,
# months later. Changing any of them (or the shingles, or the normalisation) makes new
# signatures incomparable with stored ones, so it needs a new signature VERSION.
NUM_PERM = 128
SEED = 0x50CB0
SCHEME = "affine32"  # datasketch 2's default: 32-bit values, 4 bytes each

_A, _B = (
    np.asarray(p, dtype=np.uint32) for p in MinHash(NUM_PERM, SEED, scheme=SCHEME).permutations
)
_MAX = np.iinfo(np.uint32).max
# Shingles per step. Permutations x shingles, reduced along the shingles (numpy's fastest
# reduction, contiguous), is three times quicker than datasketch's update_batch, which
# builds shingles x permutations; the values are the same (a test checks). The steps keep
# a very long text's block at 4 MB.
_STEP = 8192


def _fmix32(values: U32Array) -> U32Array:
    # MurmurHash3's 32-bit finaliser, which datasketch's affine32 applies to every input.
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def lean(values: U32Array) -> LeanMinHash:
    """A LeanMinHash of this module's seed and scheme holding these hash values."""
    sketch = object.__new__(LeanMinHash)
    # What LeanMinHash.deserialize does: no permutations generated again for each sketch.
    sketch._initialize_slots(SEED, values, SCHEME)
    return sketch


def minhash(hashes: U32Array) -> LeanMinHash:
    """The MinHash of a set of 32-bit hashes, equal to datasketch's MinHash(NUM_PERM, SEED,
    scheme=SCHEME) updated with them (all values at their maximum for none)."""
    mixed = _fmix32(hashes.astype(np.uint32))
    values = np.full(NUM_PERM, _MAX, dtype=np.uint32)
    for start in range(0, len(mixed), _STEP):
        block = np.multiply.outer(_A, mixed[start : start + _STEP])
        block += _B[:, np.newaxis]
        np.minimum(values, block.min(axis=1), out=values)
    return lean(values)
