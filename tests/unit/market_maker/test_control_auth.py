"""gridops.market_maker.control_auth: reading and checking `authorization: Bearer <token>`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridops.market_maker.control_auth import presented_token, token_matches

TOKEN = "s3cr3t-t0ken"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"Bearer {TOKEN}", TOKEN),
        (f"bearer {TOKEN}", TOKEN),  # the scheme is case-insensitive (RFC 6750)
        (f"BEARER   {TOKEN}  ", TOKEN),
        (None, None),
        ("", None),
        ("Bearer", None),
        ("Bearer ", None),
        (f"Basic {TOKEN}", None),
        (TOKEN, None),
    ],
)
def test_presented_token(header: str | None, expected: str | None) -> None:
    assert presented_token(header) == expected


def test_only_the_exact_token_matches() -> None:
    assert token_matches(f"Bearer {TOKEN}", TOKEN)
    assert not token_matches(f"Bearer {TOKEN}x", TOKEN)
    assert not token_matches(f"Bearer {TOKEN[:-1]}", TOKEN)
    assert not token_matches(f"Bearer {TOKEN.upper()}", TOKEN)
    assert not token_matches(f"Basic {TOKEN}", TOKEN)
    assert not token_matches(None, TOKEN)
    assert not token_matches("Bearer ", TOKEN)


@given(sent=st.text(alphabet=st.characters(blacklist_categories=["Zs", "Cc"]), min_size=1))
def test_any_other_token_is_refused(sent: str) -> None:
    assert token_matches(f"Bearer {sent}", TOKEN) == (sent == TOKEN)
