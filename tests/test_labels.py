"""Japanese labels: every output column and every key value has one; indicator_ja at export."""

from __future__ import annotations

import pyarrow as pa

from factories.claim_lines import Line, add_lines, locate_facility
from zaitaku_cli.aggregate import build_facilities_by_area
from zaitaku_cli.claims_aggregate import build_claims_by_area
from zaitaku_cli.labels import (
    column_label,
    output_kind,
    output_label,
    value_label,
    value_order,
    with_japanese_labels,
)
from zaitaku_cli.reference import categories, claim_codes, indicators
from zaitaku_cli.warehouse import Warehouse


def test_every_indicator_of_the_code_table_has_a_japanese_name() -> None:
    keys = set(claim_codes()["indicator"])
    assert keys == set(indicators()["indicator"])
    assert all(value_label("indicator", key) for key in keys)
    assert value_label("indicator", "houmon_shinryo") == "訪問診療"
    assert value_label("indicator", "oushin") == "往診"


def test_every_category_and_small_vocabulary_has_a_japanese_name() -> None:
    assert all(value_label("category", key) for key in categories()["category"])
    assert value_label("basis", "residence") == "患者住所地"
    assert value_label("basis", "facility") == "医療機関所在地"
    assert [value_label("age_group", a) for a in ("total", "under65", "65to74", "75plus")] == [
        "年齢計",
        "65歳未満",
        "65〜74歳",
        "75歳以上",
    ]
    assert value_label("basis", "elsewhere") is None
    assert list(value_order("indicator"))[:2] == ["houmon_shinryo", "oushin"]


def test_every_column_of_the_outputs_has_a_japanese_header(warehouse: Warehouse) -> None:
    locate_facility(warehouse, "0310000001", "03201")
    add_lines(warehouse, [Line("P1", "2023-05", "0310000001", "03201")])
    facilities = build_facilities_by_area(warehouse, level="municipality")
    claims = with_japanese_labels(build_claims_by_area(warehouse, level="municipality").table)
    for kind, table in (("facilities", facilities), ("claims", claims)):
        missing = [c for c in table.column_names if column_label(c, kind) is None]
        assert missing == [], f"{kind}: add these columns to reference/data/labels.csv"
        assert output_label(kind)
    # The same column means different things in the two outputs.
    assert column_label("facilities", "facilities") == "届出医療機関数"
    assert column_label("facilities", "claims") == "算定医療機関数"
    # Every value the claims output can hold in its small vocabularies is labelled.
    for column in ("basis", "age_group", "area_level", "suppression"):
        for value in set(claims.column(column).to_pylist()):
            assert value_label(column, value), (column, value)


def test_indicator_ja_sits_beside_indicator() -> None:
    table = pa.table(
        {
            "area_code": ["03201", "03201", "03201"],
            "indicator": ["houmon_shinryo", "mitori", "not_a_key"],
            "patients": [341, 12, 0],
        }
    )
    labelled = with_japanese_labels(table)
    assert labelled.column_names == ["area_code", "indicator", "indicator_ja", "patients"]
    assert labelled.column("indicator_ja").to_pylist() == ["訪問診療", "看取り", None]
    assert labelled.schema.field("indicator_ja").type == pa.string()
    # Tables without an indicator, or already labelled, are left as they are.
    assert with_japanese_labels(labelled) is labelled
    plain = pa.table({"category": ["zaiso"]})
    assert with_japanese_labels(plain) is plain


def test_output_kind_is_the_stem_before_by() -> None:
    assert output_kind("claims_by_secondary_area_7th_monthly_internal") == "claims"
    assert output_kind("rates_by_ward") == "rates"
