"""Link parameters: reading them never raises, lists stay compact, and a link either fits or says why not.

Plain functions, no Streamlit. A value is what `st.query_params` holds for a key: one string, or a list of
strings when the key is repeated (`?cat=a&cat=b`); None when absent. Numbers in a link are ASCII digits
only and bounded (`int()` also reads '١٢' and refuses more than 4,300 digits; `str.isdigit()` accepts '²').

The limits of a link (Streamlit 1.67 on uvicorn with h11):
- Streamlit ignores a whole query string of more than 1,000 `&`-separated fields or 512 Ki characters
  (`CLIENT_STATE_QUERY_STRING_MAX_FIELDS` and `..._MAX_LENGTH` in streamlit/runtime/state/query_params.py):
  the page opens as if the link had no parameters at all.
- The server answers "400 Invalid HTTP request" when a request's line and headers exceed 16 KiB (h11's
  `DEFAULT_MAX_INCOMPLETE_EVENT_SIZE`, which uvicorn/protocols/http/h11_impl.py uses unless configured), so a
  copied link is opened only if its query string leaves room for the path and the browser's headers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from urllib.parse import urlencode

# Streamlit's limits for the query string it reads from the browser.
MAX_FIELDS = 1000
MAX_QUERY_STRING = 512 * 1024
# The server's limit for a request's line and headers together (h11, under uvicorn).
MAX_REQUEST_BYTES = 16 * 1024
# The query string a link written by the app may take: the request limit less room for the path and headers.
LINK_MAX_CHARS = 12_000
# Digits a number in a link may have (no page needs more; far below int()'s 4,300).
MAX_INT_DIGITS = 12
SEPARATOR = ","

_INT = re.compile(rf"[+-]?[0-9]{{1,{MAX_INT_DIGITS}}}")

Value = str | Sequence[str] | None


def _values(value: object) -> list[str]:
    """The strings of a link value: one, several (a repeated key) or none."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return [item for item in value if isinstance(item, str)]
    return []


def last(value: Value, default: str = "") -> str:
    """The value a key means: the last of a repeated key (as `st.query_params.get` gives), else the default."""
    values = _values(value)
    return values[-1] if values else default


def parse_int(value: Value, default: int, low: int, high: int) -> int:
    """An integer of ASCII digits (sign and surrounding spaces allowed) clamped to [low, high]; anything else gives the default."""
    text = last(value).strip()
    if not _INT.fullmatch(text):
        return default
    return min(max(int(text), low), high)


def split_values(value: Value) -> list[str]:
    """Every comma-separated piece of every value, stripped, without empty pieces or repeats, in order."""
    pieces = (piece.strip() for item in _values(value) for piece in item.split(SEPARATOR))
    return list(dict.fromkeys(piece for piece in pieces if piece))


def parse_ints(value: Value, allowed: Collection[int]) -> tuple[list[int], list[str]]:
    """The allowed integers a value lists (comma-joined or repeated), in order, and the pieces that are not."""
    found, ignored = [], []
    for piece in split_values(value):
        number = int(piece) if _INT.fullmatch(piece) else None
        if number is not None and number in allowed:
            found.append(number)
        else:
            ignored.append(piece)
    return list(dict.fromkeys(found)), ignored


def parse_ids(value: Value, known: Callable[[str], bool]) -> tuple[list[str], list[str]]:
    """The known ids a value lists and the unknown pieces; a whole value that is a known id is kept even with a comma in it."""
    found, ignored = [], []
    for item in _values(value):
        whole = item.strip()
        for piece in [whole] if whole and known(whole) else split_values(item):
            (found if known(piece) else ignored).append(piece)
    return list(dict.fromkeys(found)), list(dict.fromkeys(ignored))


def join_values(values: Sequence[object]) -> str | list[str]:
    """One comma-joined value for a link, or the values as a repeated key when one of them holds a comma."""
    texts = [str(value) for value in values]
    return texts if any(SEPARATOR in text for text in texts) else SEPARATOR.join(texts)


def encoded(params: Mapping[str, Value]) -> str:
    """The query string Streamlit writes for these parameters (a list is a repeated key)."""
    return urlencode([(key, item) for key, value in params.items() for item in _values(value)])


def link_problem(params: Mapping[str, Value]) -> str | None:
    """Why a link with these parameters would not reopen the same view, or None when it fits."""
    query = encoded(params)
    fields = query.count("&") + 1 if query else 0
    if fields > MAX_FIELDS:
        return f"the link would need {fields:,} parameters and Streamlit reads at most {MAX_FIELDS:,}"
    if len(query) > LINK_MAX_CHARS:
        return f"the link would need {len(query):,} characters and a link opens here with at most {LINK_MAX_CHARS:,}"
    return None


# The parameter that stands in for a query string Streamlit dropped whole (pages/common.py puts it there).
DROPPED_KEY = "link-dropped"


def dropped_marker(query_string: str) -> str:
    """A query string that only says how big the dropped one was: `link-dropped=FIELDS,CHARACTERS`."""
    fields = query_string.count("&") + 1 if query_string else 0
    return urlencode({DROPPED_KEY: f"{fields},{len(query_string)}"})


def dropped_problem(value: Value) -> str | None:
    """What the dropped link was, from the marker's value; None when there is no valid marker."""
    sizes = [parse_int(piece, -1, 0, 10**MAX_INT_DIGITS) for piece in last(value).split(SEPARATOR)]
    if len(sizes) != 2 or min(sizes) < 0:
        return None
    fields, chars = sizes
    return (
        f"This link has {fields:,} parameters and {chars:,} characters, more than Streamlit reads "
        f"({MAX_FIELDS:,} parameters, {MAX_QUERY_STRING:,} characters), so the page opened without any of them."
    )
