"""Matching a prefecture's own rows to the bureau lists: codes as people type them, names
without their 法人, addresses with 番地 and buildings, and never a guess."""

from __future__ import annotations

import polars as pl

from zaitaku_cli.facility_match import address_key_expr, match_facilities, name_key_expr

REGISTRY = pl.DataFrame(
    {
        "facility_code10": ["0310000001", "0310000002", "0310000003", "0310000004"],
        "pref_code": ["03"] * 4,
        "facility_name": [
            "医療法人社団桜会　渡辺整形外科医院",
            "後藤内科クリニック",
            "後藤内科クリニック",  # the same name twice at one address: ambiguous
            "照井泌尿器科医院",
        ],
        "address": [
            "遠野市旭町５丁目１２－１１",
            "盛岡市青山５丁目２８ー２７　中央ビル４Ｆ",
            "盛岡市青山５丁目２８ー２７",
            "紫波町青山２丁目２０－６　クリニックモール３Ｆ",
        ],
        "code5": ["03208", "03201", "03201", "03321"],
    }
)


def match(*rows: tuple[str | None, str, str, str | None]) -> list[tuple[object, ...]]:
    frame = pl.DataFrame(
        {
            "row_id": list(range(len(rows))),
            "code": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "address": [r[2] for r in rows],
            "pref_code": [r[3] for r in rows],
        },
        schema={
            "row_id": pl.UInt32,
            "code": pl.String,
            "name": pl.String,
            "address": pl.String,
            "pref_code": pl.String,
        },
    )
    out = match_facilities(frame, REGISTRY)
    return [tuple(r) for r in out.select("facility_code10", "matched_by", "reason").rows()]


def test_keys() -> None:
    keys = pl.DataFrame({"n": ["医療法人社団桜会　渡辺整形外科医院", "渡辺 整形外科医院"]}).select(
        name_key_expr(pl.col("n"))
    )
    assert keys["n"].to_list() == ["渡辺整形外科医院", "渡辺整形外科医院"]
    addresses = pl.DataFrame({"a": ["岩手県遠野市旭町5丁目12番11号", "遠野市旭町５丁目１２－１１"]})
    keys = addresses.select(address_key_expr(pl.col("a"), pl.lit("岩手県")))
    assert keys["a"].to_list() == ["遠野市旭町5-12-11", "遠野市旭町5-12-11"]


def test_codes_as_typed() -> None:
    assert (
        match(
            ("0310000001", "", "", None),
            ("310000001", "", "", None),  # Excel dropped the leading zero
            ("0000001", "", "", "03"),  # a 7-digit 医療機関番号 with the prefecture
            ("03-1-0000001", "", "", None),
        )
        == [("0310000001", "code", None)] * 4
    )


def test_names_and_addresses() -> None:
    assert match(
        (None, "渡辺整形外科医院", "岩手県遠野市旭町5丁目12番11号", "03"),
        (None, "照井泌尿器科医院", "紫波郡紫波町青山2-20-6", "03"),  # 郡 written, building not
        (None, "渡辺整形外科医院", "遠野市旭町5丁目12番1号", "03"),  # 12-1 is not 12-11
        (None, "後藤内科クリニック", "盛岡市青山5-28-27", "03"),
        (None, "医院", "遠野市旭町5-12-11", "03"),  # too short to match inside a name
    ) == [
        ("0310000001", "name_address", None),
        ("0310000004", "name_address", None),
        (
            None,
            None,
            "渡辺整形外科医院 is in the bureau lists at another address: "
            "遠野市旭町５丁目１２－１１ (0310000001)",
        ),
        (
            None,
            None,
            "2 facilities of the bureau lists have this name and address (0310000002, "
            "0310000003): give the 医療機関コード",
        ),
        (
            None,
            None,
            "no facility named 医院 at this address in the bureau lists (there: "
            "医療法人社団桜会　渡辺整形外科医院 (0310000001))",
        ),
    ]
