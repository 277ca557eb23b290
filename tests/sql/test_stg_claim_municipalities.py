"""市町村コード, property-based, through the staging SQL: 5 digits, or 6 with the check digit of
全国地方公共団体コード (weights 6,5,4,3,2; (11 − sum mod 11) mod 10, domain.md §5)."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factories.claim_staging import stage, staging_connection
from zaitaku_cli.reference import municipalities

CODES = municipalities().filter(pl.col("kind") != "都道府県")["code5"].to_list()
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def check_digit(code5: str) -> int:
    """Written apart from the SQL on purpose: the test must not share the product's formula."""
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return staging_connection()


def test_known_check_digits() -> None:
    # 盛岡市 032018, 仙台市青葉区 041017 and 千代田区 131016, as printed in the official list
    assert [check_digit(c) for c in ("03201", "04101", "13101")] == [8, 7, 6]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(CODES), min_size=1, max_size=20, unique=True))
def test_every_listed_code_is_read_in_each_form(
    con: duckdb.DuckDBPyConnection, codes: list[str]
) -> None:
    written = {}
    for code in codes:
        six = f"{code}{check_digit(code)}"
        written[code] = code
        written[six] = code
        written[six.translate(FULL_WIDTH)] = code
        written[f" {six} "] = code  # trimmed
        wrong = f"{code}{(check_digit(code) + 1) % 10}"
        written[wrong] = None
    rows = stage(con, "stg_claim_municipalities", {"municipality_code": list(written)})
    got = {r["municipality_code"]: r for r in rows}
    for text, code in written.items():
        row = got[text.strip()]
        if code is None:
            assert row["reason"].startswith("市町村コード: check digit does not match"), text
        else:
            assert (row["code5"], row["reason"]) == (code, None), text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=10), min_size=1, max_size=10))
def test_no_text_makes_the_check_fail(con: duckdb.DuckDBPyConnection, values: list[str]) -> None:
    rows = stage(con, "stg_claim_municipalities", {"municipality_code": values})
    for row in rows:
        assert row["reason"] is None or row["reason"].startswith("市町村コード: ")
        if row["reason"] is None:
            assert row["code5"] in CODES
