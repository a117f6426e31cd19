"""gridops.order_ids: the one grammar of grid ids and the exact prefix filter."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridops.order_ids import (
    MAX_PREFIX,
    IdFields,
    format_id,
    is_valid_prefix,
    matches,
    normalize_prefix,
    parse_id,
    split_id,
)


def test_format_and_split() -> None:
    assert format_id("btc-grid", 12, "B", 3) == "btc-grid-12-B-3"
    assert format_id("btc-grid", -4, "S", 1) == "btc-grid-m4-S-1"
    assert split_id("btc-grid-m4-S-1") == ("btc-grid", IdFields(-4, "S", 1))
    assert split_id("btc-grid-2-0-B-7") == ("btc-grid-2", IdFields(0, "B", 7))


@pytest.mark.parametrize(
    "cid",
    [
        "",
        "btc",
        "5-B-1",  # no prefix
        "-5-B-1",
        "btc--5-B-1",  # the prefix would end with "-"
        "btc-5-X-1",
        "btc-5-b-1",
        "btc-05-B-1",  # not canonical: one slot, one spelling
        "btc-m0-B-1",
        "btc-m-B-1",
        "btc-5-B-0",
        "btc-5-B-01",
        "btc-5-B",
        "btc-5-B-1-",
        "btc-+5-B-1",
        "btc-5-B-1x",
        "manual-order",
    ],
)
def test_ids_without_the_grid_shape(cid: str) -> None:
    assert split_id(cid) is None
    assert not matches("btc", cid)
    assert matches("", cid)  # no filter: everything


def test_a_prefix_that_extends_another_is_another_strategy() -> None:
    ours, theirs = "btc-grid-5-B-1", "btc-grid-2-5-B-1"
    assert matches("btc-grid", ours)
    assert not matches("btc-grid", theirs)
    assert matches("btc-grid-2", theirs)
    assert not matches("btc-grid-2", ours)
    # A plain startswith would get the first one wrong: that was the bug.
    assert theirs.startswith("btc-grid-")


def test_with_or_without_the_trailing_dash() -> None:
    assert normalize_prefix("btc-grid-") == "btc-grid"
    assert normalize_prefix("btc-grid") == "btc-grid"
    assert normalize_prefix(None) == normalize_prefix("") == ""
    assert matches("btc-grid-", "btc-grid-5-B-1")
    assert not matches("btc-grid-", "btc-grid-2-5-B-1")
    assert parse_id("btc-grid-", "btc-grid-m3-S-2") == IdFields(-3, "S", 2)


def test_none_and_empty_match_everything() -> None:
    assert matches(None, "anything at all")
    assert matches("", "btc-grid-2-5-B-1")


@pytest.mark.parametrize(
    "good", ["", "a", "btc-grid", "btc-grid-", "a.b_c:d/e-1", "x" * MAX_PREFIX]
)
def test_valid_prefixes(good: str) -> None:
    assert is_valid_prefix(good)


@pytest.mark.parametrize(
    "bad",
    [
        "-",
        "--",
        "-btc",
        "btc--",
        "btc--grid",
        "has space",
        "a*",
        "ü",
        "x" * (MAX_PREFIX + 1),
        "a\n",
    ],
)
def test_invalid_prefixes(bad: str) -> None:
    assert not is_valid_prefix(bad)


# ---- properties ---------------------------------------------------------------------

prefixes = st.from_regex(r"[a-z0-9._:/]{1,6}(-[a-z0-9._:/]{1,6}){0,4}", fullmatch=True)
ids = st.builds(
    format_id,
    prefixes,
    st.integers(-(10**9), 10**9),
    st.sampled_from(["B", "S"]),
    st.integers(1, 10**9),
)


@settings(max_examples=300, derandomize=True)
@given(
    prefix=prefixes,
    level=st.integers(-(10**9), 10**9),
    letter=st.sampled_from(["B", "S"]),
    n=st.integers(1, 10**9),
)
def test_round_trip(prefix: str, level: int, letter: str, n: int) -> None:
    cid = format_id(prefix, level, letter, n)
    assert is_valid_prefix(prefix)
    assert split_id(cid) == (prefix, IdFields(level, letter, n))
    assert parse_id(prefix, cid) == IdFields(level, letter, n)
    assert matches(prefix, cid)
    assert matches(prefix + "-", cid)


@settings(max_examples=300, derandomize=True)
@given(cid=ids, other=prefixes)
def test_one_id_belongs_to_exactly_one_prefix(cid: str, other: str) -> None:
    split = split_id(cid)
    assert split is not None
    owner = split[0]
    assert matches(other, cid) == (other == owner)
    # However the owner's prefix is extended, the extension is another strategy.
    assert not matches(f"{owner}-{other}", cid)
    assert not matches(owner, format_id(f"{owner}-{other}", 1, "B", 1))


@settings(max_examples=300, derandomize=True)
@given(cid=st.text(alphabet="ab-0123456789mBS", max_size=20), prefix=prefixes)
def test_matching_agrees_with_splitting_on_any_text(cid: str, prefix: str) -> None:
    split = split_id(cid)
    assert matches(prefix, cid) == (split is not None and split[0] == prefix)
    if split is not None:
        owner, fields = split
        assert format_id(owner, fields.level, fields.letter, fields.n) == cid
