"""A matching view of a document: same length as the stored text, so offsets carry over.

Evidence must quote the stored text, so nothing here changes lengths: the view is the text
lower-cased character by character, with ``ё`` → ``е``, typographic quotes and dashes unified,
Telegram/Markdown markup, hashtags' ``#``, zero-width characters and emoji turned into spaces.
Rules and the gate match on the view; quotes are cut from the original text at the same offsets.
"""

from __future__ import annotations

import re

_SAME_LENGTH = str.maketrans(
    {
        "ё": "е", "Ё": "е", "’": "'", "‘": "'", "ʼ": "'", "`": "'",
        "«": '"', "»": '"', "“": '"', "”": '"', "„": '"', "‟": '"', "‹": '"', "›": '"',
        "–": "-", "—": "-", "‑": "-", "‐": "-", "−": "-",
        "*": " ", "_": " ", "~": " ", "#": " ", "|": " ",
        "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u200b": " ", "\u200c": " ",
        "\u200d": " ", "\ufeff": " ", "\u00ad": " ",
    }
)
# emoji and pictographs (one code point each in Python strings)
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u2b00-\u2bff]")


def matching_view(text: str) -> str:
    """The text as rules see it; ``len(matching_view(t)) == len(t)`` always."""
    lowered = text.lower()
    if len(lowered) != len(text):  # rare: characters whose lower case is longer (İ)
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    view = _EMOJI.sub(" ", lowered.translate(_SAME_LENGTH))
    return view
