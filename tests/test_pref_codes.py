"""都道府県コード: 01–47, what users may type for one, and the code a 市町村コード begins with."""

from __future__ import annotations

import polars as pl
import pytest

from zaitaku_cli.pref_codes import PREF_CODES, is_pref_code, pref_code, pref_of, pref_of_expr


def test_the_47_codes() -> None:
    assert (len(PREF_CODES), PREF_CODES[0], PREF_CODES[2], PREF_CODES[-1]) == (47, "01", "03", "47")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("03", "03"),
        ("3", "03"),  # Excel drops the zero
        (" 3 ", "03"),
        (3, "03"),  # a TOML number
        (47, "47"),
        ("47", "47"),
        ("00", None),
        ("48", None),
        (0, None),
        ("003", None),
        ("３", None),  # full-width: not what --pref takes
        ("", None),
        ("x3", None),
        (True, None),
    ],
)
def test_what_users_may_type_for_a_code(value: str | int, expected: str | None) -> None:
    assert pref_code(value) == expected


def test_is_pref_code_takes_the_two_digits_only() -> None:
    assert [is_pref_code(v) for v in ("03", "3", 3, "48", "00", None)] == [
        True, False, False, False, False, False,
    ]  # fmt: skip


def test_the_code_a_municipality_or_facility_code_begins_with() -> None:
    # 032018 盛岡市 (6 digits with its check digit), 04100 仙台市, 0311234567 a clinic of 岩手県
    assert [pref_of(c) for c in ("032018", "04100", "0311234567")] == ["03", "04", "03"]
    frame = pl.DataFrame({"code5": ["03201", "47201"]})
    assert frame.select(pref_of_expr("code5"))["code5"].to_list() == ["03", "47"]
