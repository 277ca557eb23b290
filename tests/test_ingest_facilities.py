"""`ingest facilities` end to end on small real-shaped bureau lists, checked against hand counts.

Codes: 盛岡市 03201, 宮古市 03202, 紫波郡矢巾町 03322, 仙台市青葉区 04101 (municipalities.csv).
受理記号 → category follows reference/data/juri_kigo.csv by the list date (domain.md §2):
R4 up to 2024-05-31, R6 from 2024-06-01, R8 from 2026-06-01.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from factories.bureau_list import (
    TITLE_2023_10,
    TITLE_2025_04,
    TITLE_2026_07,
    bureau_row,
    csv_bytes,
    write_csv,
    write_xlsx,
    write_zip,
)
from zaitaku_cli.errors import InputError
from zaitaku_cli.ingest_facilities import ingest_facility_lists
from zaitaku_cli.summary import IngestSummary
from zaitaku_cli.warehouse import Warehouse

MORIOKA = "盛岡市内丸１１－１"
MIYAKO = "宮古市五月町１－２０"
YAHABA = "紫波郡矢巾町大字西徳田第８地割１２３ー４　やはばビル２Ｆ"
AOBA = "仙台市青葉区本町３丁目８－１"


def ingest(wh: Warehouse, path: Path, **kwargs: Any) -> IngestSummary:
    (summary,) = ingest_facility_lists(wh, [path], **kwargs)
    return summary


def labels(wh: Warehouse, as_of: date) -> dict[str, tuple[str | None, bool | None]]:
    rows = wh.fetch_all(
        "select label_raw, category, kyoka_rate from facility_notifications where as_of = $d",
        {"d": as_of},
    )
    return {label: (category, kyoka) for label, category, kyoka in rows}


def count(wh: Warehouse, table: str) -> int:
    return int(wh.fetch_all(f"select count(*) from {table}")[0][0])


# -- 受理記号 by revision -------------------------------------------------------------------------


def test_r4_labels_in_a_2023_list(warehouse: Warehouse, tmp_path: Path) -> None:
    rows = [
        bureau_row(label="支援診２", juri_no="第１号"),
        bureau_row(label="在医総管", juri_no="第２号"),
        bureau_row(label="在医総管１", juri_no="第３号"),  # the R6 label cannot be in a 2023 list
        bureau_row(label="初診", juri_no="第４号"),
    ]
    summary = ingest(warehouse, write_xlsx(tmp_path / "r4.xlsx", rows, title=TITLE_2023_10))
    assert summary.as_of == date(2023, 10, 1)
    assert labels(warehouse, date(2023, 10, 1)) == {
        "支援診２": ("shienshin_renkei", True),  # R4 連携型, paid at 機能強化型 rates
        "在医総管": ("zaiisoukan", None),
        "在医総管１": (None, None),  # kept, category unknown on 2023-10-01
        "初診": (None, None),  # not home care
    }
    assert summary.details["unknown_labels"] == {"在医総管１": 1}


def test_r6_labels_in_a_2025_list(warehouse: Warehouse, tmp_path: Path) -> None:
    rows = [
        bureau_row(label="支援診２", juri_no="第１号"),
        bureau_row(label="在医総管", juri_no="第２号"),  # R6 legacy alias of 在医総管１
        bureau_row(label="在医総管１", juri_no="第３号"),
        bureau_row(label="在医総管２", juri_no="第４号"),  # sub-standard: known, no category
        bureau_row(label="在緩診実", juri_no="第５号"),
        bureau_row(label="支援診２ア", juri_no="第６号"),  # R8 label in a 2025 list: unknown
    ]
    summary = ingest(warehouse, write_xlsx(tmp_path / "r6.xlsx", rows))
    assert labels(warehouse, date(2025, 10, 1)) == {
        "支援診２": ("shienshin_renkei", True),
        "在医総管": ("zaiisoukan", None),
        "在医総管１": ("zaiisoukan", None),
        "在医総管２": (None, None),
        "在緩診実": ("juujitsu", None),
        "支援診２ア": (None, None),
    }
    assert summary.details["unknown_labels"] == {"支援診２ア": 1}
    assert (
        "r6.xlsx: home-care 受理記号 not known for 2025-10-01: 支援診２ア (1 row); kept without "
        "a category — update reference/data/juri_kigo.csv if a revision added them"
    ) in summary.warnings


def test_abolished_hamamatsu_wards_in_a_2025_list_are_flagged(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    # 浜松市中区 was merged into 中央区 on 2024-01-01: a 2025 list naming it is out of date
    rows = [
        bureau_row(pref_code="22", facility_no="0110013", address="浜松市中区元城町１０３－２"),
        bureau_row(pref_code="22", facility_no="0110021", address="浜松市中区鍛冶町１"),
        bureau_row(pref_code="22", facility_no="0110039", address="浜松市中央区元城町１"),
    ]
    summary = ingest(warehouse, write_xlsx(tmp_path / "h.xlsx", rows))
    codes = warehouse.fetch_all(
        "select code5, count(*) from facility_notifications group by code5 order by code5"
    )
    assert codes == [("22131", 2), ("22138", 1)]
    assert (
        "h.xlsx: 2 addresses name a ward abolished before this list of 2025-10-01: 浜松市中区 "
        "(2); at ward level they count under the old ward, at municipality level under their "
        "city"
    ) in summary.warnings


def test_r8_labels_in_a_2026_07_list(warehouse: Warehouse, tmp_path: Path) -> None:
    rows = [
        bureau_row(label="支援診２ア", juri_no="第１号"),
        bureau_row(label="支援診２イ", juri_no="第２号", facility_no="0120011", address=MIYAKO),
        bureau_row(label="支援診２", juri_no="第３号", facility_no="0130019", address=YAHABA),
        bureau_row(label="在緩診実", juri_no="第４号"),  # old label still printed after R8
        bureau_row(label="在充診", juri_no="第５号", facility_no="0120011", address=MIYAKO),
        bureau_row(label="在医総管３", juri_no="第６号"),
    ]
    summary = ingest(warehouse, write_xlsx(tmp_path / "r8.xlsx", rows, title=TITLE_2026_07))
    assert summary.as_of == date(2026, 7, 1)
    assert labels(warehouse, date(2026, 7, 1)) == {
        "支援診２ア": ("shienshin_renkei", True),  # ア: paid as 機能強化型
        "支援診２イ": ("shienshin_renkei", False),  # イ: ordinary 在支診 rates
        "支援診２": ("shienshin_renkei", None),  # legacy alias: ア/イ unknown
        "在緩診実": ("juujitsu", None),  # legacy alias of 在充診
        "在充診": ("juujitsu", None),
        "在医総管３": (None, None),
    }
    assert summary.details["unknown_labels"] == {}
    # 3 distinct facilities hold a renkei label; 2 hold 充実 (0110013 and 0120011).
    assert summary.details["categories"] == {"juujitsu": 2, "shienshin_renkei": 3}


# -- one list in detail ---------------------------------------------------------------------------


def typical_list(tmp_path: Path) -> Path:
    """A 2025-10 list of 14 sheet rows (5–18), each one a case:

    rows 5–6    0110013 盛岡  支援診３, 在医総管１
    rows 7–9    0110013 盛岡  初診 printed 3 times, once per 備考 item → 1 notification
    row 10      0120011 宮古  支援診１
    row 11      0120011 宮古  支援診３: a second tier held at once → counted as 単独 only
    row 12      0130019 矢巾  支援診３ withdrawn (備考 取り下げ): kept, not counted
    row 13      0140017       a 仙台 address under 岩手 (03) → reject, address
    row 14      pref 99       → reject, 都道府県コード
    row 15      ABC           → reject, 医療機関番号
    row 16      0150015       empty 受理記号 → reject
    rows 17–18  0160013 歯科  dropped and counted
    """
    rows = [
        bureau_row(label="支援診３", juri_no="第１号"),
        bureau_row(label="在医総管１", juri_no="第２号"),
        bureau_row(label="初診", juri_no="第３号", remark_heading="届出区分", remark_data="新規"),
        bureau_row(label="初診", juri_no="第３号", remark_heading="併算定", remark_data="あり"),
        bureau_row(label="初診", juri_no="第３号", remark_heading="届出区分", remark_data="変更"),
        bureau_row(facility_no="0120011", address=MIYAKO, label="支援診１", juri_no="第４号"),
        bureau_row(facility_no="0120011", address=MIYAKO, label="支援診３", juri_no="第５号"),
        bureau_row(
            facility_no="0130019",
            address=YAHABA,
            label="支援診３",
            juri_no="第６号",
            remark_heading="備考",
            remark_data="取り下げ（令和7年9月30日）",
        ),
        bureau_row(facility_no="0140017", address=AOBA, label="支援診３", juri_no="第７号"),
        bureau_row(pref_code="99", label="支援診３", juri_no="第８号"),
        bureau_row(facility_no="ABC", label="支援診３", juri_no="第９号"),
        bureau_row(facility_no="0150015", label="", juri_no=""),
        bureau_row(facility_no="0160013", kubun="歯科", label="歯援診２", juri_no="第１号"),
        bureau_row(facility_no="0160013", kubun="歯科", label="か強診", juri_no="第２号"),
    ]
    return write_xlsx(tmp_path / "tohoku_2025-10.xlsx", rows)


@pytest.fixture
def loaded(warehouse: Warehouse, tmp_path: Path) -> IngestSummary:
    return ingest(warehouse, typical_list(tmp_path))


def test_counts_add_up(loaded: IngestSummary) -> None:
    # loaded: 0110013 ×3 notifications, 0120011 ×2, 0130019 ×1 (withdrawn but kept) = 6;
    # rejected: rows 13–15 = 3; row 16 has no notification = 1; 歯科: rows 17–18 = 2;
    # 備考 repeats folded: rows 8–9 = 2.
    assert loaded.status == "loaded"
    assert loaded.rows_read == 14
    assert loaded.rows_loaded == 6
    assert loaded.rows_rejected == 3
    assert loaded.details["without_notification"] == 1
    assert loaded.details["kubun_dropped"] == {"歯科": 2}
    assert loaded.details["remarks_collapsed"] == 2
    assert loaded.rows_read == 6 + 3 + 1 + 2 + 2
    assert loaded.pref_codes == ["03"]
    assert loaded.details["pref_codes"] == ["03"]


def test_table_rows(warehouse: Warehouse, loaded: IngestSummary) -> None:
    rows = warehouse.fetch_all(
        "select source_row, facility_code10, code5, label_raw, label, start_date, withdrawn "
        "from facility_notifications order by source_row"
    )
    # facility_code10 = 03 + 1 (医科) + 医療機関番号; 令和 6年 6月 1日 = 2024-06-01.
    r6 = date(2024, 6, 1)
    assert rows == [
        (5, "0310110013", "03201", "支援診３", "支援診3", r6, False),
        (6, "0310110013", "03201", "在医総管１", "在医総管1", r6, False),
        (7, "0310110013", "03201", "初診", "初診", r6, False),
        (10, "0310120011", "03202", "支援診１", "支援診1", r6, False),
        (11, "0310120011", "03202", "支援診３", "支援診3", r6, False),
        (12, "0310130019", "03322", "支援診３", "支援診3", r6, True),
    ]


def test_remarks_collapsed_into_json(warehouse: Warehouse, loaded: IngestSummary) -> None:
    (remarks,) = warehouse.fetch_all(
        "select remarks from facility_notifications where label = '初診'"
    )[0]
    # Rows 7–9: 届出区分 printed twice (新規, 変更) → joined with ／; 併算定 once.
    assert json.loads(remarks) == {"届出区分": "新規／変更", "併算定": "あり"}


def test_withdrawn_and_two_tiers_in_categories(loaded: IngestSummary) -> None:
    # 支援診３: 0110013 only — 0120011 counts at its highest tier (支援診１), 0130019 withdrew.
    assert loaded.details["categories"] == {
        "shienshin_jurai": 1,
        "shienshin_tandoku": 1,
        "zaiisoukan": 1,
    }
    assert loaded.details["withdrawn"] == 1
    assert loaded.details["multi_tier_facilities"] == 1
    assert loaded.details["multi_tier_examples"] == ["0310120011"]
    assert (
        "tohoku_2025-10.xlsx: 1 facility holds two 支援診/支援病 tiers at once (e.g. 0310120011); "
        "each is counted at its highest tier"
    ) in loaded.warnings


def test_rejects_kept_with_row_column_and_reason(
    warehouse: Warehouse, loaded: IngestSummary
) -> None:
    rejects = warehouse.fetch_all(
        "select file_name, row_number, column_name, reason, value from rejects order by row_number"
    )
    assert rejects == [
        (
            "tohoku_2025-10.xlsx",
            13,
            "医療機関所在地（住所）",
            "no municipality of 岩手県 (03) matches the start of the address",
            AOBA,
        ),
        (
            "tohoku_2025-10.xlsx",
            14,
            "都道府県コード",
            "都道府県コード is not a prefecture code 01–47",
            "99",
        ),
        ("tohoku_2025-10.xlsx", 15, "医療機関番号", "医療機関番号 is not a 7-digit number", "ABC"),
    ]
    (raw,) = warehouse.fetch_all("select raw_row from rejects where row_number = 14")[0]
    assert json.loads(raw)["都道府県コード"] == "99"
    assert json.loads(raw)["医療機関名称"] == "盛岡テスト内科クリニック"
    assert loaded.reject_reasons == {
        "no municipality of 岩手県 (03) matches the start of the address": 1,
        "都道府県コード is not a prefecture code 01–47": 1,
        "医療機関番号 is not a 7-digit number": 1,
    }
    assert [(e["row"], e["column"], e["value"]) for e in loaded.reject_examples] == [
        (13, "医療機関所在地（住所）", AOBA),
        (14, "都道府県コード", "99"),
        (15, "医療機関番号", "ABC"),
    ]
    # Row 16 is a facility without any notification (a short row of 全医療機関出力 files):
    # nothing to count, not an error.
    assert loaded.details["without_notification"] == 1
    # Rejected rows are not in the table.
    assert warehouse.fetch_all(
        "select count(*) from facility_notifications where source_row between 13 and 16"
    ) == [(0,)]


def test_ingest_log_row(warehouse: Warehouse, loaded: IngestSummary) -> None:
    (log,) = warehouse.ingests()
    assert log["kind"] == "facilities"
    assert log["file_name"] == "tohoku_2025-10.xlsx"
    assert log["as_of"] == date(2025, 10, 1)
    assert log["pref_codes"] == "03"
    assert (log["rows_read"], log["rows_loaded"], log["rows_rejected"]) == (14, 6, 3)
    assert loaded.details["ingest_id"] == log["ingest_id"]


def test_identical_file_is_unchanged(warehouse: Warehouse, tmp_path: Path) -> None:
    path = typical_list(tmp_path)
    first = ingest(warehouse, path)
    before = (count(warehouse, "facility_notifications"), count(warehouse, "rejects"))
    again = ingest(warehouse, path)
    assert again.status == "unchanged"
    assert again.rows_loaded == 0
    assert again.as_of == date(2025, 10, 1)
    assert again.details["ingest_id"] == first.details["ingest_id"]
    assert again.details["previous_file"] == "tohoku_2025-10.xlsx"
    assert again.warnings == []
    assert (count(warehouse, "facility_notifications"), count(warehouse, "rejects")) == before
    assert count(warehouse, "ingest_log") == 1
    # Same bytes under another --as-of: still unchanged, and the analyst is told why.
    other = ingest(warehouse, path, as_of=date(2025, 11, 1))
    assert other.status == "unchanged"
    assert other.warnings == [
        "tohoku_2025-10.xlsx: --as-of 2025-11-01 ignored: this file was loaded before as "
        f"2025-10-01 (ingest #{first.details['ingest_id']})"
    ]


def test_same_list_as_another_file_is_not_counted_twice(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    rows = [
        bureau_row(label="支援診３", juri_no="第１号"),
        bureau_row(label="在医総管１", juri_no="第２号"),
    ]
    ingest(warehouse, write_xlsx(tmp_path / "list.xlsx", rows))
    # The analyst's CSV save of the same list, plus one notification the xlsx did not have.
    more = [*rows, bureau_row(facility_no="0120011", address=MIYAKO, label="支援診１")]
    summary = ingest(warehouse, write_csv(tmp_path / "list.csv", more))
    assert summary.status == "loaded"
    assert summary.details["already_present"] == 2
    assert summary.rows_loaded == 1
    assert count(warehouse, "facility_notifications") == 3


def test_notification_in_two_zip_members_is_loaded_once(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    # The same 岩手 list zipped twice under two names: 2 notifications, each loaded once.
    rows = [
        bureau_row(label="支援診３", juri_no="第１号"),
        bureau_row(label="在医総管１", juri_no="第２号"),
    ]
    data = csv_bytes(rows)
    path = write_zip(tmp_path / "twice.zip", {"岩手県.csv": data, "岩手県（再掲）.csv": data})
    summary = ingest(warehouse, path)
    assert summary.rows_read == 4
    assert summary.rows_loaded == 2
    assert summary.details["repeated_in_file"] == 2
    assert summary.details["remarks_collapsed"] == 0  # not mistaken for 備考 repeats
    assert count(warehouse, "facility_notifications") == 2


def test_two_as_of_dates_side_by_side(warehouse: Warehouse, tmp_path: Path) -> None:
    april = [bureau_row(label="支援診３", juri_no="第１号")]
    october = [*april, bureau_row(facility_no="0120011", address=MIYAKO, label="支援診３")]
    ingest(warehouse, write_xlsx(tmp_path / "2025-04.xlsx", april, title=TITLE_2025_04))
    ingest(warehouse, write_xlsx(tmp_path / "2025-10.xlsx", october))
    by_date = warehouse.fetch_all(
        "select as_of, count(*) from facility_notifications group by as_of order by as_of"
    )
    # The April notification is not "already present" in October: snapshots are separate.
    assert by_date == [(date(2025, 4, 1), 1), (date(2025, 10, 1), 2)]


def test_zip_and_as_of_option(warehouse: Warehouse, tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "tohoku.zip",
        {
            "岩手県.csv": csv_bytes([bureau_row(label="支援診３", address="盛丘市１")]),
            "宮城県.csv": csv_bytes(
                [bureau_row(pref_code="04", facility_no="0110013", address=AOBA, label="支援診３")]
            ),
        },
    )
    summary = ingest(warehouse, path, as_of=date(2025, 10, 2))
    assert summary.as_of == date(2025, 10, 2)
    assert summary.pref_codes == ["04"]
    assert warehouse.fetch_all("select facility_code10, code5 from facility_notifications") == [
        ("0410110013", "04101")
    ]
    assert warehouse.fetch_all("select file_name, row_number from rejects") == [
        ("tohoku.zip/岩手県.csv", 5)
    ]


def test_bad_start_date_is_kept_with_a_warning(warehouse: Warehouse, tmp_path: Path) -> None:
    rows = [bureau_row(label="支援診３", start="令和 7年 2月30日")]
    summary = ingest(warehouse, write_xlsx(tmp_path / "d.xlsx", rows))
    assert summary.rows_loaded == 1
    assert summary.details["bad_start_dates"] == 1
    assert (
        "d.xlsx: 1 row has an 算定開始年月日 that is not a date (first: row 5, "
        "'令和 7年 2月30日'); kept with start_date empty"
    ) in summary.warnings
    assert warehouse.fetch_all("select start_date, start_date_raw from facility_notifications") == [
        (None, "令和 7年 2月30日")
    ]


def test_failed_file_leaves_nothing_and_earlier_files_stay(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", [bureau_row()])
    bad = write_xlsx(tmp_path / "bad.xlsx", [bureau_row()], headers=["項番", "都道府県コード"])
    with pytest.raises(InputError):
        ingest_facility_lists(warehouse, [good, bad])
    assert [log["file_name"] for log in warehouse.ingests()] == ["good.xlsx"]
    assert count(warehouse, "facility_notifications") == 1


def test_sample_workbook_ingests(warehouse: Warehouse) -> None:
    # The committed demo list: every quirk of the generator shows up in the summary.
    sample = Path(__file__).parents[1] / "data" / "raw" / "bureau_tohoku_2025-10.xlsx"
    summary = ingest(warehouse, sample)
    assert summary.as_of == date(2025, 10, 1)
    assert summary.pref_codes == ["03", "04"]
    assert summary.details["withdrawn"] == 1
    assert summary.details["multi_tier_facilities"] == 1
    assert summary.details["kubun_dropped"]["歯科"] > 0
    assert summary.details["remarks_collapsed"] > 0
    categories = summary.details["categories"]
    assert categories["shienshin_jurai"] > categories["shienshin_tandoku"]
    # one facility with a mistyped municipality (盛丘岡市) → its rows are rejected, with reason
    assert set(summary.reject_reasons) == {
        "no municipality of 岩手県 (03) matches the start of the address"
    }


def test_list_without_data_rows(warehouse: Warehouse, tmp_path: Path) -> None:
    # An empty export is usually a failed one: refused unless the analyst says it is meant.
    path = write_xlsx(tmp_path / "empty.xlsx", [])
    with pytest.raises(InputError, match="a header but no data rows"):
        ingest(warehouse, path)
    assert warehouse.ingests() == []
    summary = ingest_facility_lists(warehouse, [path], allow_empty=True)[0]
    assert (summary.status, summary.rows_read, summary.rows_loaded) == ("loaded", 0, 0)
    assert summary.warnings == ["empty.xlsx: no data rows below the header (empty.xlsx row 4)"]
