"""Near-duplicate stories: article signatures, their LSH band keys, the same-story rule.

Pure: plain text in, signatures and decisions out; nothing here imports the rest of sokbo.
"""

from sokbo.stories.bands import band_keys
from sokbo.stories.match import Scores, same_story, similarity
from sokbo.stories.signature import Signature, signature_of

__all__ = ["Scores", "Signature", "band_keys", "same_story", "signature_of", "similarity"]
