"""Reading link parameters never raises: bounded ASCII integers, repeated keys, compact lists, and the limits of a link."""

from __future__ import annotations

import inspect
from urllib.parse import parse_qs

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lib import urlstate
from lib.urlstate import (
    DROPPED_KEY,
    dropped_marker,
    dropped_problem,
    encoded,
    join_values,
    last,
    link_problem,
    parse_ids,
    parse_int,
    parse_ints,
    split_values,
)

REPRODUCIBLE = settings(derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VALUE = st.one_of(st.text(), st.sampled_from(["--1", "²", "١٢", "9" * 5000, "-0", "+7", " 12 ", "1e3", "0x10", "1,2", ",", ""]))
VALUES = st.none() | VALUE | st.lists(VALUE, max_size=4)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7),
        (" 7 ", 7),
        ("+7", 7),
        ("-3", 0),
        ("250", 100),
        ("--1", 20),
        ("²", 20),  # str.isdigit() says yes, int() says no
        ("١٢", 20),  # int() reads Arabic-Indic digits; a link's numbers are ASCII
        ("9" * 5000, 20),  # int() refuses more than 4,300 digits
        ("1e3", 20),
        ("", 20),
        (None, 20),
        (["5", "x"], 20),  # a repeated key: the last value counts, as with st.query_params.get
        (["x", "5"], 5),
        ([], 20),
    ],
)
def test_parse_int_reads_bounded_ascii_integers_only(value, expected: int) -> None:
    assert parse_int(value, 20, 0, 100) == expected


@REPRODUCIBLE
@given(VALUES, st.integers(-(10**6), 10**6), st.integers(0, 10**6))
@example("9" * 5000, 0, 10)
def test_parse_int_never_raises_and_stays_in_bounds(value, low: int, width: int) -> None:
    default = low
    result = parse_int(value, default, low, low + width)
    assert low <= result <= low + width


def test_last_and_split_values_read_both_the_repeated_and_the_comma_joined_form() -> None:
    assert last(["a", "b"]) == "b" and last("a") == "a" and last(None) == "" and last([]) == "" and last(None, "x") == "x"
    assert split_values(["a,b", "c", "b", " ", "d , e"]) == ["a", "b", "c", "d", "e"]
    assert split_values("a,,b,") == ["a", "b"] and split_values(None) == [] and split_values("") == []


def test_parse_ints_keeps_known_values_and_lists_the_rest() -> None:
    assert parse_ints(["0,1", "--1", "²", "9" * 5000, "2", "1", "-1"], {-1, 0, 1, 2}) == ([0, 1, 2, -1], ["--1", "²", "9" * 5000])
    assert parse_ints("7", {0, 1}) == ([], ["7"])


def test_parse_ids_reads_compact_and_repeated_forms_and_ids_holding_commas() -> None:
    known = {"2401.00001", "2401.00002", "odd,id"}
    assert parse_ids(["2401.00001,2401.00002", "nope", "odd,id"], known.__contains__) == (["2401.00001", "2401.00002", "odd,id"], ["nope"])
    assert parse_ids(["2401.00002", "2401.00002,2401.00001"], known.__contains__) == (["2401.00002", "2401.00001"], [])


def test_join_values_writes_one_value_unless_an_id_holds_a_comma() -> None:
    assert join_values(["a", "b"]) == "a,b"
    assert join_values(["a", "odd,id"]) == ["a", "odd,id"]
    assert join_values([]) == ""


@REPRODUCIBLE
@given(st.lists(st.text(st.characters(exclude_categories=["Cs"]), min_size=1).map(str.strip).filter(bool), max_size=6, unique=True))
def test_joined_values_read_back_as_written(ids: list[str]) -> None:
    written = join_values(ids)
    query = encoded({"more": written})
    back = parse_qs(query, keep_blank_values=True).get("more", [])
    assert parse_ids(back, set(ids).__contains__) == (ids, []) or any("," in i for i in ids)


@REPRODUCIBLE
@given(st.dictionaries(st.text(), VALUES, max_size=5))
def test_nothing_here_raises(params) -> None:
    for value in params.values():
        last(value)
        split_values(value)
        parse_ints(value, {0, 1, 2})
        parse_ids(value, lambda paper_id: paper_id.startswith("2"))
        dropped_problem(value)
    text = encoded({key: value for key, value in params.items() if value is not None})
    assert isinstance(text, str)
    link_problem({key: value for key, value in params.items() if value is not None})


def test_a_link_over_streamlits_field_limit_or_the_servers_request_size_is_named() -> None:
    assert link_problem({"q": "graph neural networks", "cat": ["cs.LG", "stat.ML"]}) is None
    fields = {f"k{i}": "1" for i in range(urlstate.MAX_FIELDS + 1)}
    assert "1,001 parameters" in link_problem(fields) and "1,000" in link_problem(fields)
    long = {"more": ",".join(f"2401.{i:05d}" for i in range(2000))}
    problem = link_problem(long)
    assert problem and f"{urlstate.LINK_MAX_CHARS:,}" in problem and f"{len(encoded(long)):,} characters" in problem
    assert link_problem({"more": ",".join(f"2401.{i:05d}" for i in range(500))}) is None


def test_the_limits_are_streamlits_and_the_servers() -> None:
    from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
    from streamlit.runtime.state import query_params

    assert urlstate.MAX_FIELDS == query_params.CLIENT_STATE_QUERY_STRING_MAX_FIELDS
    assert urlstate.MAX_QUERY_STRING == query_params.CLIENT_STATE_QUERY_STRING_MAX_LENGTH
    assert urlstate.MAX_REQUEST_BYTES == DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
    assert urlstate.LINK_MAX_CHARS < urlstate.MAX_REQUEST_BYTES
    # Streamlit drops a query string over its limits entirely: the page would open with no parameters at all
    # (unwrapped: pages/common.py, once imported, turns the dropped string into a note of its size).
    sanitize = inspect.unwrap(query_params.sanitize_query_string)
    assert sanitize("&".join(["a=1"] * (urlstate.MAX_FIELDS + 1))) == "" and sanitize("a=1" * (urlstate.MAX_QUERY_STRING // 3 + 1)) == ""
    assert sanitize("&".join(["a=1"] * urlstate.MAX_FIELDS)) != ""


def test_a_query_string_streamlit_drops_is_summarised_by_its_size() -> None:
    dropped = "&".join(["more=2401.00001"] * 1500)
    marker = parse_qs(dropped_marker(dropped))
    assert list(marker) == [DROPPED_KEY]
    problem = dropped_problem(marker[DROPPED_KEY])
    assert problem.startswith(
        f"This link has 1,500 parameters and {len(dropped):,} characters, more than Streamlit reads (1,000 parameters"
    )
    assert dropped_problem("1,2,3") is None and dropped_problem("x") is None and dropped_problem(None) is None
