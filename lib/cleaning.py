"""Text cleaning exactly as the training notebook does it, shared by training and queries."""

from __future__ import annotations

import re

# str.isalnum() characters are exactly what `\w` matches minus the underscore, so this pattern
# marks every character that is neither alphanumeric nor whitespace.
_NOT_WORD_OR_SPACE = re.compile(r"[^\w\s]|_")
# The notebook lower-cases one character at a time; str.lower() on a whole string turns a word-final capital sigma
# into 'ς' (its only context-dependent rule), so capital sigma is lowered to 'σ' first, as a single character would be.
# Lower-casing 'İ' gives 'i' plus a combining dot that is not alphanumeric; the notebook keeps it, and so does this.


def clean_text(text: str) -> str:
    """Lower-case, turn every non-alphanumeric, non-whitespace character into a space, collapse whitespace."""
    return " ".join(_NOT_WORD_OR_SPACE.sub(" ", text).replace("Σ", "σ").lower().split())


def tokenize(text: str) -> list[str]:
    """Split text into the tokens the model is trained on."""
    return clean_text(text).split()
