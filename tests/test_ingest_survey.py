"""zaitaku ingest survey: facilities found by code or by name and address, every unmatched or bad
row kept with its reason, Excel sheets with a title above the header, mapping files, and what a
second file of the same survey does."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import xlsxwriter

from zaitaku_cli.errors import InputError
from zaitaku_cli.ingest_facilities import ingest_facility_lists
from zaitaku_cli.ingest_survey import ingest_survey
from zaitaku_cli.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]
BUREAU = ROOT / "data" / "raw" / "bureau_tohoku_2025-10.xlsx"
EXAMPLE = ROOT / "examples" / "survey.example.csv"
MAPPING = ROOT / "examples" / "survey_mapping.example.toml"
HEADER = "調査時点,医療機関コード,医療機関名,所在地,訪問診療の実施可能件数,参入意向\n"


@pytest.fixture
def listed(warehouse: Warehouse) -> Warehouse:
    """The demo bureau list (岩手・宮城), whose facilities the examples name."""
    ingest_facility_lists(warehouse, [BUREAU])
    return warehouse


def write(tmp_path: Path, text: str, name: str = "survey.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def answers(wh: Warehouse) -> list[tuple[object, ...]]:
    return wh.fetch_all(
        "select source_row, facility_code10, code5, matched_by, capacity, intention "
        "from survey_responses order by source_row"
    )


def test_example_loads_every_row(listed: Warehouse) -> None:
    summary = ingest_survey(listed, EXAMPLE)
    assert (summary.status, summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (
        "loaded",
        9,
        9,
        0,
    )
    assert summary.pref_codes == ["03"]
    assert str(summary.as_of) == "2025-09-01"
    # rows 6 (遠藤外科医院, 岩手県盛岡市上野5丁目21番34号) and 9 (照井泌尿器科医院, written with its
    # 郡 and without the building) have no code: found by name and address
    assert summary.details["matched_by"] == {"code": 7, "name_address": 2}
    # 30 + 15 + 40 + 0 + 5 + 10 + 20 + 0; 照井泌尿器科医院 answered no number
    assert (summary.details["capacity_total"], summary.details["capacity_answers"]) == (120, 8)
    rows = answers(listed)
    assert rows[4] == (6, "0310110354", "03201", "name_address", 5, "縮小")
    assert rows[7] == (9, "0310110069", "03321", "name_address", None, "未定")
    again = ingest_survey(listed, EXAMPLE)
    assert again.status == "unchanged"
    assert len(answers(listed)) == 9


def test_unmatched_and_bad_rows_are_rejected_with_the_reason(
    listed: Warehouse, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        HEADER
        + "2025-09-01,0310110092,照井内科クリニック,,30,拡大\n"  # 2: loads
        + "2025-09-01,0399999999,架空クリニック,盛岡市中央通1丁目1-1,10,維持\n"  # 3: no such
        + "2025-09-01,0310110025,後藤内科クリニック,,たくさん,維持\n"  # 4: capacity
        + "2025-09-01,0310110218,中村消化器内科クリニック,,5,検討したい\n"  # 5: intention
        + "2025-09-01,310110092,照井内科クリニック,,30,拡大\n"  # 6: same facility as row 2
        + "2025-09-01,,後藤内科クリニック,,12,維持\n"  # 7: name without address
        + "2025-09-01,0310110229,盛岡中央病院,,,\n",  # 8: no answer
    )
    summary = ingest_survey(listed, path)
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (7, 1, 6)
    assert summary.reject_reasons == {
        "no facility of the bureau lists matches": 2,
        "bad value in 参入意向": 1,
        "bad value in 訪問診療の実施可能件数": 1,
        "no answer": 1,
        "the same facility answered twice": 1,
    }
    rejects = listed.fetch_all(
        "select row_number, column_name, reason, value from rejects where kind = 'survey' "
        "order by row_number"
    )
    assert rejects == [
        (
            3,
            "医療機関コード",
            "医療機関コード 0399999999 is in no ingested bureau list; no facility of the bureau "
            "lists of 岩手県 (03) has this name and address",
            "0399999999",
        ),
        (
            4,
            "訪問診療の実施可能件数",
            "訪問診療の実施可能件数 must be a whole number of 0 or more (e.g. 12 or 12件)",
            "たくさん",
        ),
        (
            5,
            "参入意向",
            "参入意向 must be one of 新規参入, 拡大, 維持, 縮小, 予定なし, 未定 (map "
            'yours with --mapping [values."参入意向"])',
            "検討したい",
        ),
        (
            6,
            "医療機関コード",
            "the same facility (0310110092) as row 2: a facility answers once per survey",
            "0310110092",
        ),
        (
            7,
            "医療機関コード",
            "give the 医療機関コード, or both 医療機関名 and 所在地",
            "後藤内科クリニック",
        ),
        (
            8,
            "訪問診療の実施可能件数",
            "no answer: 訪問診療の実施可能件数 and 参入意向 are both empty",
            "",
        ),
    ]
    assert answers(listed) == [(2, "0310110092", "03201", "code", 30, "拡大")]


def test_name_and_address_reasons(listed: Warehouse, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + "2025-09-01,,後藤内科クリニック,盛岡市上田1丁目17-5,10,維持\n"  # 菅原皮膚科's address
        + "2025-09-01,,後藤内科クリニック,盛岡市青山5丁目28-2,10,維持\n"  # 28-2 ≠ 28-27
        + "2025-09-01,,後藤内科クリニック,盛岡市青山5丁目28番27号,10,維持\n",  # loads
    )
    summary = ingest_survey(listed, path)
    assert summary.rows_loaded == 1
    reasons = [
        r[0]
        for r in listed.fetch_all(
            "select reason from rejects where kind = 'survey' order by row_number"
        )
    ]
    assert reasons == [
        "後藤内科クリニック is in the bureau lists at another address: "
        "盛岡市青山５丁目２８ー２７　中央ビル４Ｆ (0310110025)",
        "後藤内科クリニック is in the bureau lists at another address: "
        "盛岡市青山５丁目２８ー２７　中央ビル４Ｆ (0310110025)",
    ]
    assert answers(listed)[0][1:4] == ("0310110025", "03201", "name_address")


def test_workbook_with_a_title_a_mapping_and_codes_excel_shortened(
    listed: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "在宅医療調査.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("回答")
    sheet.write(0, 0, "令和7年度 在宅医療に関する実態調査（集計）")
    headers = [
        "保険医療機関番号(10桁)",
        "施設の名称",
        "問5 訪問診療の受入可能患者数(月)",
        "問6 今後の訪問診療",
    ]
    sheet.write_row(2, 0, headers)
    sheet.write_row(3, 0, [310110092, "照井内科クリニック", 30, "2"])  # a number: the 0 is lost
    sheet.write_row(4, 0, ["0310110025", "後藤内科クリニック", 15, "今後始めたい"])
    book.close()
    with pytest.raises(InputError) as info:
        ingest_survey(listed, path, mapping=MAPPING)
    assert str(info.value) == (
        f"{path}: no 調査時点 (date) column — add a 調査時点 column or pass --as-of YYYY-MM-DD"
    )
    summary = ingest_survey(listed, path, mapping=MAPPING, as_of=date(2025, 9, 1))
    assert summary.details["sheet"] == "回答"
    assert answers(listed) == [
        (4, "0310110092", "03201", "code", 30, "拡大"),
        (5, "0310110025", "03201", "code", 15, "新規参入"),
    ]
    assert any("1 医療機関コード had 9 digits" in w for w in summary.warnings)


def test_a_second_file_of_the_same_survey_replaces_those_facilities(
    listed: Warehouse, tmp_path: Path
) -> None:
    ingest_survey(listed, EXAMPLE)
    corrected = write(tmp_path, HEADER + "2025-09-01,0310110092,照井内科クリニック,,35,拡大\n")
    summary = ingest_survey(listed, corrected)
    assert any(
        "replaced the answers of 1 facilities of the survey of 2025-09-01 loaded from "
        "survey.example.csv" in w
        for w in summary.warnings
    )
    rows = listed.fetch_all(
        "select facility_code10, capacity from survey_responses order by facility_code10"
    )
    assert len(rows) == 9 and ("0310110092", 35) in rows


def test_cp932_and_an_older_survey(listed: Warehouse, tmp_path: Path) -> None:
    ingest_survey(listed, EXAMPLE)
    older = write(
        tmp_path,
        HEADER + "2024-09-01,0310110092,照井内科クリニック,,20,維持\n",
        name="2024.csv",
        encoding="cp932",
    )
    summary = ingest_survey(listed, older)
    assert summary.details["encoding"] == "cp932"
    assert summary.warnings == [
        "03: a newer survey (as of 2025-09-01) is in use; this one (2024-09-01) is kept but "
        "not used (the newest 調査時点 wins)"
    ]


def test_refusals(warehouse: Warehouse, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "2025-09-01,0310110092,照井内科クリニック,,30,拡大\n")
    with pytest.raises(InputError) as info:
        ingest_survey(warehouse, path)
    assert str(info.value) == (
        f"{path}: no bureau list is ingested: survey rows are matched to the facilities of the "
        "届出受理医療機関名簿 — run `zaitaku ingest facilities` first"
    )
    ingest_facility_lists(warehouse, [BUREAU])
    no_capacity = write(
        tmp_path, "医療機関コード,医療機関名\n0310110092,照井内科クリニック\n", "a.csv"
    )
    with pytest.raises(
        InputError, match=r"row 1: required column\(s\) missing: 訪問診療の実施可能件数"
    ):
        ingest_survey(warehouse, no_capacity)
    two_dates = write(
        tmp_path,
        HEADER
        + "2025-09-01,0310110092,照井内科クリニック,,30,拡大\n"
        + "2025-10-01,0310110025,後藤内科クリニック,,30,拡大\n",
        "b.csv",
    )
    with pytest.raises(InputError) as info:
        ingest_survey(warehouse, two_dates)
    assert str(info.value) == (
        f"{two_dates}, row 3, column 調査時点: the table holds several dates (2025-09-01 from "
        "row 2, 2025-10-01) — load one table per date, or pass --as-of"
    )
    nothing = write(tmp_path, HEADER + "2025-09-01,0399999999,架空,,30,拡大\n", "c.csv")
    with pytest.raises(InputError) as info:
        ingest_survey(warehouse, nothing)
    assert str(info.value).startswith(f"{nothing}, row 2, column 医療機関コード: 医療機関コード")
    assert "nothing of the file was loaded" in str(info.value)
    assert warehouse.fetch_all("select count(*) from survey_responses")[0][0] == 0
    assert warehouse.fetch_all("select count(*) from rejects where file_name = 'c.csv'")[0][0] == 1


def test_nothing_of_a_failed_load_is_kept(
    listed: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answers, their rejects and the ingest_log row go in one transaction."""
    import zaitaku_cli.ingest_survey as module

    def broken(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(module, "insert_rejects", broken)
    path = write(
        tmp_path,
        HEADER
        + "2025-09-01,0310110092,照井内科クリニック,,30,拡大\n"
        + "2025-09-01,0399999999,架空,,30,拡大\n",
    )
    with pytest.raises(OSError, match="disk full"):
        ingest_survey(listed, path)
    assert listed.fetch_all("select count(*) from ingest_log where kind = 'survey'")[0][0] == 0
    assert listed.fetch_all("select count(*) from survey_responses")[0][0] == 0
