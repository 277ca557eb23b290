"""The shared --mapping mechanism (enrolment, survey, hubs) and the small-table reader under it:
headers found below a title, in a CSV or a workbook; mapping files parsed and checked."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from zaitaku_cli.errors import InputError, UnsupportedFormatError
from zaitaku_cli.readers.column_mapping import read_column_mapping, read_mapped_table
from zaitaku_cli.readers.enrolment import read_enrolment_mapping
from zaitaku_cli.readers.hubs import HUBS
from zaitaku_cli.readers.survey import SURVEY

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_example_mappings_parse() -> None:
    survey = SURVEY.read_mapping(EXAMPLES / "survey_mapping.example.toml")
    assert survey.columns["問5訪問診療の受入可能患者数(月)"] == "capacity"
    assert survey.values["intention"]["1"] == "新規参入"
    enrolment = read_enrolment_mapping(EXAMPLES / "enrolment_mapping.example.toml")
    assert enrolment.encoding == "cp932"
    hubs = HUBS.read_mapping(EXAMPLES / "hubs_mapping.example.toml")
    assert hubs.columns == {
        "拠点の名前": "name",
        "担当する市町村": "area",
        "委託先": "operator",
        "開始時期": "note",
    }


BAD_MAPPINGS = [
    (
        "nope = 1",
        "unknown setting(s) nope — a mapping file has columns, delimiter, encoding, values",
    ),
    (
        '[columns]\n"A" = "氏名"',
        "[columns] maps 'A' to '氏名', which is not a canonical column",
    ),
    (
        '[values."医療機関名"]\n"a" = "b"',
        "[values.医療機関名] cannot be mapped — values can be mapped for 参入意向",
    ),
    ('encoding = "latin-1"', "encoding 'latin-1' is not supported — use auto, cp932 or utf-8"),
]


@pytest.mark.parametrize(("text", "message"), BAD_MAPPINGS)
def test_bad_mapping_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_column_mapping(path, SURVEY.spec)
    assert str(info.value).startswith(f"{path}: {message}")


def test_csv_header_below_a_title_and_values_translated(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text(
        "令和7年度 在宅医療実態調査\n\n医療機関名称,住所,実施可能件数,今後の意向,備考\n"
        "A病院,盛岡市,10,増やしたい,x\n\n,,,,\nB医院,滝沢市,,検討中,\n",
        encoding="utf-8",
    )
    table = SURVEY.read(path)
    assert table.headers == {
        "facility_name": "医療機関名称",
        "address": "住所",
        "capacity": "実施可能件数",
        "intention": "今後の意向",
    }
    assert table.ignored == ["備考"]
    # rows keep the file's line numbers; blank lines are skipped
    assert table.rows["source_row"].to_list() == [4, 7]
    assert table.rows["intention"].to_list() == ["拡大", "未定"]


def test_workbook_sheet_with_a_title(tmp_path: Path) -> None:
    path = tmp_path / "hubs.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("表紙").write(0, 0, "在宅医療に必要な連携を担う拠点")
    sheet = book.add_worksheet("一覧")
    sheet.write(0, 0, "（参考1）拠点のイメージ")
    sheet.write_row(2, 0, ["名称", "事業区域", "運営主体", "備考"])
    sheet.write_row(3, 0, ["在宅ボックス滝沢", "滝沢市", "（医）ゆとりが丘クリニック", "H26～R2"])
    book.close()
    table = HUBS.read(path)
    assert (table.sheet, table.encoding) == ("一覧", None)
    assert table.rows.select("name", "area", "source_row").rows() == [
        ("在宅ボックス滝沢", "滝沢市", 4)
    ]


def test_refusals(tmp_path: Path) -> None:
    no_header = tmp_path / "a.csv"
    no_header.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        HUBS.read(no_header)
    assert str(info.value) == (
        f"{no_header}: no header row in the first 20 rows — a header row naming 名称、事業区域 "
        "(map other headers with --mapping)"
    )
    twice = tmp_path / "b.csv"
    twice.write_text("名称,事業区域,名称\nx,y,z\n", encoding="utf-8")
    with pytest.raises(
        InputError, match=r"row 1, column 名称: the header names 名称 more than once"
    ):
        HUBS.read(twice)
    clash = tmp_path / "c.csv"
    clash.write_text("名称,拠点名,事業区域\nx,y,z\n", encoding="utf-8")
    with pytest.raises(InputError, match="headers '名称' and '拠点名' both map to 名称"):
        HUBS.read(clash)
    legacy = tmp_path / "d.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(UnsupportedFormatError, match=r"legacy \.xls workbooks are not read"):
        read_mapped_table(legacy, HUBS.spec, read_column_mapping(None, HUBS.spec), example="")
