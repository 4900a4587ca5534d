"""LSH band keys of a signature, for finding candidate stories in the store."""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

from sokbo.stories.signature import Signature
from sokbo.stories.sketch import NUM_PERM

__all__ = ["BODY_ROWS", "LEAD_ROWS", "band_keys", "share_band"]

# Two signatures are candidates when all `rows` values of one band agree, which for Jaccard J
# happens with probability 1 - (1 - J**rows) ** bands (the S-curve). Of the 128 values:
#
#   J                          0.02   0.05   0.1    0.2    0.3    0.4    0.5    0.6
#   body, 3 rows x 42 bands    0.000  0.005  0.041  0.286  0.683  0.938  0.996  1.000
#   lead, 2 rows x 64 bands    0.025  0.148  0.474  0.927  0.998  1.000  1.000  1.000
#
# Copies and edited copies of the labelled set have bodies at J 0.47 and more (found at
# 0.99 and more). A flash, a second version and the full article share less of their
# bodies but more of their leads, J 0.24 to 1 (found at 0.978 and more): the lead's bands
# are narrower for that. Unrelated articles
# sit at a body J of 0.016 (median; 0.07 at the 99th percentile) and a lead J of 0 (0.03),
# so that on WCXB's article pages 0.3% of the pairs of distinct pages share a key. An
# accepted pair always shares one: same_story requires it (see match).
BODY_ROWS = 3
LEAD_ROWS = 2


def _bands(values: npt.ArrayLike, rows: int) -> npt.NDArray[np.uint32]:
    return np.asarray(values, dtype="<u4")[: NUM_PERM // rows * rows].reshape(-1, rows)


def _keys(kind: bytes, values: npt.ArrayLike, rows: int) -> list[int]:
    # blake2b, never hash(): a key stored by one process is looked up by another. The kind
    # and the band's position go in, so that equal values in another band, or in the other
    # sketch, make another key.
    keys = []
    for band, row in enumerate(_bands(values, rows)):
        digest = hashlib.blake2b(
            kind + band.to_bytes(1, "little") + row.tobytes(), digest_size=8
        ).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def band_keys(signature: Signature) -> list[int]:
    """The signature's LSH band keys, signed 64-bit; none for an empty body."""
    if not signature.body_size:
        return []
    body = _keys(b"body", signature.body.hashvalues, BODY_ROWS)
    return body + _keys(b"lead", signature.lead.hashvalues, LEAD_ROWS)


def share_band(a: Signature, b: Signature) -> bool:
    """Whether a and b have a band key in common, without hashing the bands."""
    if not a.body_size or not b.body_size:
        return False
    for rows, x, y in (
        (BODY_ROWS, a.body.hashvalues, b.body.hashvalues),
        (LEAD_ROWS, a.lead.hashvalues, b.lead.hashvalues),
    ):
        if bool((_bands(x, rows) == _bands(y, rows)).all(axis=1).any()):
            return True
    return False
