"""The claim-code table: listing, the 医科診療行為マスター reader, unmapped codes and additions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from factories.claim_lines import HOUMON_SHINRYO, SAISHIN, Line, add_lines
from factories.claim_master import MasterCode, write_master, write_master_zip
from zaitaku_cli.claim_codes import (
    apply_additions,
    find_unmapped_home_care_codes,
    kubun_of,
    list_codes,
    read_master,
    suggest_indicator,
    unknown_codes_in_claims,
)
from zaitaku_cli.claims_aggregate import build_claims_by_area
from zaitaku_cli.errors import InputError
from zaitaku_cli.reference import claim_codes
from zaitaku_cli.warehouse import Warehouse

NEW_VISIT = "114999910"  # a made-up R8 在宅患者訪問診療料 code, in no table
DX_ADDON = "114746310"  # real: 在宅医療ＤＸ情報活用加算１ (C001), deliberately not in the table

MASTER = [
    # already in the packaged table (C001 在宅患者訪問診療料（１）１)
    MasterCode(
        HOUMON_SHINRYO,
        "在宅患者訪問診療料（１）１（同一建物居住者以外の場合）（１日につき）",
        "C",
        "001",
    ),
    # new in C001 → houmon_shinryo
    MasterCode(NEW_VISIT, "在宅患者訪問診療料（３）（１日につき）", "C", "001", item_no="031"),
    # C001 add-on for online information: not an indicator code
    MasterCode(
        DX_ADDON,
        "在宅医療ＤＸ情報活用加算１（在宅患者訪問診療料（１）・在宅患者訪問診療料（２））（月１回）",
        "C",
        "001",
        item_no="009",
    ),
    # C001 add-on no rule covers: reported without a suggestion
    MasterCode("114999870", "乳幼児加算（在宅患者訪問診療料）", "C", "001"),
    # C005-1-2 (枝番 01 under C005) → houmon_kango_iryokikan
    MasterCode("114999710", "同一建物居住者訪問看護・指導料（新）", "C", "005", branch_no="01"),
    # B007 (退院前訪問指導料) is in the watched families but maps to no indicator
    MasterCode("113999910", "退院前訪問指導料", "B", "007"),
    # 初診料 (A000): not a home-care family, never reported
    MasterCode("111000110", "初診料", "A", "000"),
]


@pytest.fixture
def master_file(tmp_path: Path) -> Path:
    return write_master(tmp_path / "s_ALL20260605.csv", MASTER)


def test_list_codes_is_the_packaged_table(warehouse: Warehouse) -> None:
    listed = list_codes(warehouse)
    assert listed.columns == ["code", "kubun", "name", "indicator", "seen_in", "source"]
    assert listed.height == claim_codes().height == 519
    assert listed.filter(pl.col("code") == HOUMON_SHINRYO)["indicator"].to_list() == [
        "houmon_shinryo"
    ]


@pytest.mark.parametrize(
    ("letter", "number", "branch", "kubun"),
    [
        ("C", "001", "00", "C001"),
        ("C", "001", "02", "C001-2"),
        ("C", "002", "02", "C002-2"),
        ("C", "005", "01", "C005-1-2"),  # printed -1-2, as NDB does (PROVENANCE.md)
        ("B", "005", "01", "B005-1-2"),
        ("B", "007", "02", "B007-2"),
        ("A", "246", "00", "A246"),
        ("", "", "", None),  # a partial row of a change file
    ],
)
def test_kubun_as_printed(letter: str, number: str, branch: str, kubun: str | None) -> None:
    assert kubun_of(letter, number, branch) == kubun


def test_rules_give_every_packaged_code_its_indicator() -> None:
    # The rules restate how claim_codes.csv was built: all 519 codes must come out the same.
    table = claim_codes()
    wrong = [
        (code, kubun, name, indicator)
        for code, kubun, name, indicator in table.select(
            "code", "kubun", "name", "indicator"
        ).rows()
        if suggest_indicator(kubun, name)[0] != indicator
    ]
    assert wrong == []


def test_read_master(master_file: Path) -> None:
    master = read_master(master_file)
    assert master.height == len(MASTER)
    new = master.filter(pl.col("code") == NEW_VISIT).row(0, named=True)
    assert new["kubun"] == "C001"
    assert new["name"] == "在宅患者訪問診療料（３）（１日につき）"
    assert new["points"] == 888.0
    assert new["changed_on"] == date(2026, 6, 1)
    assert new["abolished_on"] is None  # 99999999 = current
    assert new["row"] == 2
    assert new["master_file"] == "s_ALL20260605.csv"
    assert len(new["master_sha256"]) == 64
    nursing = master.filter(pl.col("code") == "114999710")
    assert nursing["kubun"].to_list() == ["C005-1-2"]


def test_read_master_from_the_published_zip(tmp_path: Path) -> None:
    path = write_master_zip(tmp_path / "s_ALL20260605.zip", "s_ALL20260605.csv", MASTER)
    assert read_master(path).height == len(MASTER)


def test_read_master_refuses_a_short_row(tmp_path: Path) -> None:
    path = write_master(tmp_path / "bad.csv", MASTER[:1], rows=[["3", "S", "114001110"]])
    with pytest.raises(InputError) as err:
        read_master(path)
    assert str(err.value) == (
        f"{path}, row 2: has 3 fields; a 医科診療行為マスター row has at least 113 — "
        "give the 医科診療行為マスター (s_ALL….csv) of 社会保険診療報酬支払基金"
    )


def test_unmapped_home_care_codes_with_suggestions(warehouse: Warehouse, master_file: Path) -> None:
    found = find_unmapped_home_care_codes(warehouse, read_master(master_file))
    suggested = dict(found.select("code", "suggested_indicator").rows())
    # the code already in the table and 初診料 (not a home-care 区分) are not reported
    assert HOUMON_SHINRYO not in suggested
    assert "111000110" not in suggested
    assert suggested == {
        NEW_VISIT: "houmon_shinryo",
        DX_ADDON: None,  # DX/情報活用 add-ons are not indicator codes
        "114999870": None,  # no rule: for the analyst to decide
        "114999710": "houmon_kango_iryokikan",
        "113999910": None,
    }
    rules = dict(found.select("code", "rule").rows())
    assert rules[DX_ADDON] == "DX/情報活用 add-ons are not indicator codes"
    assert rules["114999870"] is None


def test_apply_adds_codes_to_the_table(warehouse: Warehouse, master_file: Path) -> None:
    found = find_unmapped_home_care_codes(warehouse, read_master(master_file))
    assert apply_additions(warehouse, found.filter(pl.col("code") == NEW_VISIT)) == 1
    added = list_codes(warehouse).filter(pl.col("code") == NEW_VISIT).row(0, named=True)
    assert added["indicator"] == "houmon_shinryo"
    assert added["kubun"] == "C001"
    assert added["seen_in"] == "master2026-06-05"
    assert added["source"].startswith("s_ALL20260605.csv sha256:")
    # Applying again replaces the row rather than adding a second one.
    assert apply_additions(warehouse, found.filter(pl.col("code") == NEW_VISIT)) == 1
    assert list_codes(warehouse).height == 520


def test_apply_skips_rows_without_an_indicator(warehouse: Warehouse, master_file: Path) -> None:
    found = find_unmapped_home_care_codes(warehouse, read_master(master_file))
    # two of the five have a suggestion: NEW_VISIT and the C005-1-2 code
    assert apply_additions(warehouse, found) == 2
    assert list_codes(warehouse).height == 521


def test_apply_refuses_an_unknown_indicator(warehouse: Warehouse, master_file: Path) -> None:
    found = find_unmapped_home_care_codes(warehouse, read_master(master_file))
    chosen = found.filter(pl.col("code") == "114999870").with_columns(indicator=pl.lit("nyuyoji"))
    with pytest.raises(InputError, match="unknown indicator nyuyoji"):
        apply_additions(warehouse, chosen)


def test_added_code_is_counted_in_the_claims(warehouse: Warehouse, master_file: Path) -> None:
    add_lines(warehouse, [Line("P1", "2026-06", "0310000001", "03201", act=NEW_VISIT)])
    before = build_claims_by_area(warehouse, level="prefecture", suppress=False)
    assert before.indicator_lines == 0
    found = find_unmapped_home_care_codes(warehouse, read_master(master_file))
    apply_additions(warehouse, found.filter(pl.col("code") == NEW_VISIT))
    after = build_claims_by_area(warehouse, level="prefecture", suppress=False)
    assert after.indicator_lines == 1
    frame = pl.from_arrow(after.table)
    assert isinstance(frame, pl.DataFrame)
    row = frame.filter(
        (pl.col("indicator") == "houmon_shinryo")
        & (pl.col("basis") == "residence")
        & (pl.col("age_group") == "total")
    )
    assert row.select("period", "area_code", "patients").rows() == [("FY2026", "03", 1)]


def test_unknown_codes_in_claims(warehouse: Warehouse, master_file: Path) -> None:
    add_lines(
        warehouse,
        [
            Line("P1", "2026-06", "0310000001", "03201", act=NEW_VISIT, times=2),
            Line("P2", "2026-06", "0310000002", "03201", act=NEW_VISIT),
            Line("P1", "2026-07", "0310000001", "03201", act="113999910"),
            Line("P1", "2026-06", "0310000001", "03201", act=SAISHIN),
            Line("P1", "2026-06", "0310000001", "03201", act=HOUMON_SHINRYO),
        ],
    )
    # Without a master only the 114… prefix of the table's 在宅医療 codes can tell.
    bare = unknown_codes_in_claims(warehouse)
    assert bare.select("code", "lines", "times", "facilities").rows() == [(NEW_VISIT, 2, 3, 2)]
    assert bare["first_month"].to_list() == [date(2026, 6, 1)]
    # With a master the 区分 decides: the B007 code is in a watched family, 再診料 is not.
    known = unknown_codes_in_claims(warehouse, read_master(master_file))
    assert known.select("code", "kubun", "suggested_indicator", "lines").rows() == [
        (NEW_VISIT, "C001", "houmon_shinryo", 2),
        ("113999910", "B007", None, 1),
    ]
