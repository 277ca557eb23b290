"""The --xlsx workbook, read back cell by cell: text codes, numbers, '-', Japanese headers.

Cell types are read from the sheet XML itself (`cells`): 's' = a text cell, 'n' = a number,
'b' = a boolean — what Excel will hold, not what a reader library infers for a column.
"""

from __future__ import annotations

import json
import zipfile
from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree

import fastexcel
import pyarrow as pa
import pytest

from factories.claim_lines import Line, add_lines, locate_facility, repeat
from zaitaku_cli import output_metadata, workbook
from zaitaku_cli.aggregate import aggregate
from zaitaku_cli.cli import app
from zaitaku_cli.output_metadata import COVERAGE
from zaitaku_cli.warehouse import Warehouse
from zaitaku_cli.workbook import SheetSource, write_workbook

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"

Cell = tuple[str, object]


def cells(path: Path) -> dict[str, dict[str, Cell]]:
    """{sheet name: {"A1": (type, value)}} for every non-empty cell of the workbook."""
    with zipfile.ZipFile(path) as z:
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        shared: list[str] = []
        if "xl/sharedStrings.xml" in z.namelist():
            sst = ElementTree.fromstring(z.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")) for si in sst]
        out: dict[str, dict[str, Cell]] = {}
        for sheet in book.find("m:sheets", NS) or []:
            xml = ElementTree.fromstring(z.read(f"xl/{targets[sheet.get(REL)]}"))
            found: dict[str, Cell] = {}
            for c in xml.iter(f"{{{NS['m']}}}c"):
                kind, ref = c.get("t", "n"), c.get("r", "")
                if kind == "inlineStr":
                    found[ref] = ("s", "".join(t.text or "" for t in c.iter(f"{{{NS['m']}}}t")))
                elif kind == "s":
                    found[ref] = ("s", shared[int(c.findtext("m:v", "", NS))])
                elif kind == "b":
                    found[ref] = ("b", c.findtext("m:v", "", NS) == "1")
                elif (v := c.findtext("m:v", None, NS)) is not None:
                    found[ref] = ("n", float(v))
            out[str(sheet.get("name"))] = found
        return out


def by_row(sheet: dict[str, Cell]) -> dict[int, dict[str, Cell]]:
    """{row number: {column letters: cell}}."""
    rows: dict[int, dict[str, Cell]] = {}
    for ref, cell in sheet.items():
        col = ref.rstrip("0123456789")
        rows.setdefault(int(ref[len(col) :]), {})[col] = cell
    return rows


def row(sheet: dict[str, Cell], number: int, columns: str) -> list[Cell | None]:
    return [sheet.get(f"{col}{number}") for col in columns]


def claims_table() -> pa.Table:
    # 盛岡市: 341 patients (all ages), 12 facilities; 矢巾町: 3 patients → suppressed; an older
    # month and the 75plus cell, which the wide sheet leaves out (latest period, all ages).
    rows = [
        ("2023-04", "03201", "盛岡市", "houmon_shinryo", "訪問診療", "total", 341, False, 12),
        ("2023-04", "03322", "矢巾町", "houmon_shinryo", "訪問診療", "total", None, True, 1),
        ("2023-04", "03201", "盛岡市", "houmon_shinryo", "訪問診療", "75plus", 341, False, 12),
        ("2023-03", "03201", "盛岡市", "houmon_shinryo", "訪問診療", "total", 300, False, 11),
        ("2023-04", "03201", "盛岡市", "oushin", "往診", "total", 25, False, 3),
    ]
    names = [
        "period",
        "area_code",
        "area_name",
        "indicator",
        "indicator_ja",
        "age_group",
        "patients",
        "patients_suppressed",
        "facilities",
    ]
    table = pa.table(
        {name: [r[i] for r in rows] for i, name in enumerate(names)},
        schema=pa.schema(
            [
                ("period", pa.string()),
                ("area_code", pa.string()),
                ("area_name", pa.string()),
                ("indicator", pa.string()),
                ("indicator_ja", pa.string()),
                ("age_group", pa.string()),
                ("patients", pa.int64()),
                ("patients_suppressed", pa.bool_()),
                ("facilities", pa.int64()),
            ]
        ),
    )
    table = table.add_column(1, "area_level", pa.array(["municipality"] * 5))
    return table.add_column(6, "basis", pa.array(["residence"] * 5))


def facilities_table() -> pa.Table:
    return pa.table(
        {
            "as_of": pa.array([date(2025, 10, 1)] * 3, pa.date32()),
            "area_level": ["municipality"] * 3,
            "area_code": ["03201", "03322", "03201"],
            "area_name": ["盛岡市", "矢巾町", "盛岡市"],
            "category": ["shienshin_jurai", "shienshin_jurai", "zaiisoukan"],
            "category_ja": ["支援診3", "支援診3", "在医総管"],
            "facilities": pa.array([30, 2, 57], pa.int64()),
            "source": ["bureau_list"] * 3,
        }
    )


MANIFEST = {
    "set": "municipality_monthly",
    "level": "municipality",
    "plan": "8th",
    "period": "month",
    "as_of": "latest per prefecture",
    "suppression": "ndb",
    "coverage": COVERAGE,
    "zaitaku_version": "0.1.0",
    "inputs": [
        {
            "kind": "facilities",
            "file_name": "届出受理医療機関名簿_東北.xlsx",
            "sha256": "ab" * 32,
            "as_of": date(2025, 10, 1),
            "pref_codes": ["03", "04"],
            "rows_read": 1200,
            "rows_loaded": 1180,
            "rows_rejected": 20,
            "ingested_at": datetime(2026, 11, 30, 9, 15),
        },
        {
            "kind": "claims",
            "file_name": "KDB抽出_2023.csv",
            "sha256": "cd" * 32,
            "as_of": None,
            "pref_codes": ["03"],
            "rows_read": 20000,
            "rows_loaded": 19990,
            "rows_rejected": 10,
            "ingested_at": datetime(2026, 11, 30, 9, 20),
        },
    ],
    "warnings": ["1 billing facility is in no bureau list"],
}


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return write_workbook(
        tmp_path / "municipality_monthly.xlsx",
        [
            SheetSource("facilities_by_municipality_monthly", facilities_table()),
            SheetSource(
                "claims_by_municipality_monthly",
                claims_table(),
                {"patients": "patients_suppressed"},
                {"coverage": COVERAGE},
            ),
        ],
        MANIFEST,
    )


def test_sheets_in_the_order_an_analyst_reads_them(book: Path) -> None:
    assert fastexcel.read_excel(book).sheet_names == [
        "説明",
        "地域別一覧",
        "届出施設数",
        "レセプト指標",
    ]


def test_long_sheet_has_japanese_headers_text_codes_numbers_and_dashes(book: Path) -> None:
    sheet = cells(book)["レセプト指標"]
    # patients_suppressed is not a column of the sheet: the '-' in the cell says it.
    assert [c[1] for c in row(sheet, 1, "ABCDEFGHIJ") if c] == [
        "期間",
        "地域の単位",
        "地域コード",
        "地域名",
        "指標コード",
        "指標",
        "集計の基準",
        "年齢区分",
        "実患者数",
        "算定医療機関数",
    ]
    assert sheet.get("K1") is None
    assert row(sheet, 2, "ABCDEFGHIJ") == [
        ("s", "2023-04"),  # a period stays text, not a date
        ("s", "市区町村"),
        ("s", "03201"),  # a code keeps its leading zero
        ("s", "盛岡市"),
        ("s", "houmon_shinryo"),
        ("s", "訪問診療"),
        ("s", "患者住所地"),
        ("s", "年齢計"),
        ("n", 341.0),
        ("n", 12.0),
    ]
    assert row(sheet, 3, "CIJ") == [("s", "03322"), ("s", "-"), ("n", 1.0)]


def test_dates_are_dates_and_codes_read_back_as_text(book: Path) -> None:
    frame = fastexcel.read_excel(book).load_sheet("届出施設数").to_polars()
    assert frame["地域コード"].to_list() == ["03201", "03322", "03201"]
    assert frame["名簿の基準日"].to_list()[0] in (date(2025, 10, 1), datetime(2025, 10, 1))
    assert frame["届出医療機関数"].to_list() == [30, 2, 57]
    assert frame["出典"].to_list() == ["届出受理医療機関名簿"] * 3


def test_wide_sheet_has_one_row_per_area_and_a_column_per_indicator_and_unit(book: Path) -> None:
    sheet = cells(book)["地域別一覧"]
    caption = sheet["A1"][1]
    assert isinstance(caption, str)
    # What the sheet shows: the latest month, all ages, one basis, each list's date.
    for part in ("期間 2023-04", "年齢計", "集計の基準 患者住所地", "名簿の基準日 2025-10-01"):
        assert part in caption
    # Three header rows: the output, the indicator or category, the unit.
    assert [c[1] if c else None for c in row(sheet, 2, "ABCDEFGH")] == [
        "地域コード",
        "地域名",
        "届出施設数",
        "届出施設数",
        "レセプト指標",
        "レセプト指標",
        "レセプト指標",
        "レセプト指標",
    ]
    assert [c[1] if c else None for c in row(sheet, 3, "CDEFGH")] == [
        "支援診3",
        "在医総管",
        "訪問診療",
        "訪問診療",
        "往診",
        "往診",
    ]
    assert [c[1] if c else None for c in row(sheet, 4, "CDEFGH")] == [
        "届出医療機関数",
        "届出医療機関数",
        "実患者数",
        "算定医療機関数",
        "実患者数",
        "算定医療機関数",
    ]
    # 盛岡市: 30 支援診3, 57 在医総管, 訪問診療 341 patients at 12 facilities (2023-04 total,
    # not the 300 of 2023-03), 往診 25 at 3.
    assert row(sheet, 5, "ABCDEFGH") == [
        ("s", "03201"),
        ("s", "盛岡市"),
        ("n", 30.0),
        ("n", 57.0),
        ("n", 341.0),
        ("n", 12.0),
        ("n", 25.0),
        ("n", 3.0),
    ]
    # 矢巾町: 2 支援診3, no 在医総管 row, 訪問診療 suppressed ('-') at 1 facility, no 往診 row.
    assert row(sheet, 6, "ABCDEFGH") == [
        ("s", "03322"),
        ("s", "矢巾町"),
        ("n", 2.0),
        None,
        ("s", "-"),
        ("n", 1.0),
        None,
        None,
    ]
    assert sheet.get("A7") is None


def test_wide_sheet_keeps_each_source_and_its_latest_list(tmp_path: Path) -> None:
    # 盛岡市 支援診3: a list of 2025-04 (20, superseded), of 2025-10 (30) and an undated count
    # table (29): the wide sheet shows 30 and 29 under their sources, not 20.
    table = pa.table(
        {
            "as_of": pa.array([date(2025, 4, 1), date(2025, 10, 1), None], pa.date32()),
            "area_code": ["03201"] * 3,
            "area_name": ["盛岡市"] * 3,
            "category": ["shienshin_jurai"] * 3,
            "facilities": [20, 30, 29],
            "source": ["bureau_list", "bureau_list", "count_table"],
        }
    )
    path = write_workbook(
        tmp_path / "x.xlsx", [SheetSource("facilities_by_municipality", table)], MANIFEST
    )
    wide = cells(path)["地域別一覧"]
    assert wide["A1"] == (
        "s",
        "届出施設数: 名簿の基準日 2025-10-01（日付のない出典を含む）・届出区分 支援診3",
    )
    assert [c[1] if c else None for c in row(wide, 3, "CD")] == ["届出受理医療機関名簿", "集計表"]
    assert row(wide, 5, "ABCD") == [("s", "03201"), ("s", "盛岡市"), ("n", 30.0), ("n", 29.0)]


def test_about_sheet_states_coverage_suppression_and_inputs(book: Path) -> None:
    sheet = cells(book)["説明"]
    texts = [v for kind, v in sheet.values() if kind == "s"]
    assert output_metadata.COVERAGE_NOTE_JA in texts
    assert COVERAGE in texts
    assert output_metadata.SUPPRESSION_RULE_JA in texts
    assert "1 billing facility is in no bureau list" in texts
    header = next(r for r, (_k, v) in sheet.items() if v == "ファイル")
    line = int(header[1:]) + 1
    assert row(sheet, line, "ABCEFGI") == [
        ("s", "facilities"),
        ("s", "届出受理医療機関名簿_東北.xlsx"),
        ("n", 45931.0),  # 2025-10-01 as an Excel date serial
        ("n", 1200.0),
        ("n", 1180.0),
        ("n", 20.0),
        ("s", "ab" * 32),
    ]
    assert row(sheet, line, "D") == [("s", "03, 04")]


def test_unsuppressed_set_says_internal_use(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "x.xlsx",
        [SheetSource("claims_by_prefecture_internal", claims_table())],
        {**MANIFEST, "suppression": "off (internal use only: not for publication)"},
    )
    texts = [v for _k, v in cells(path)["説明"].values()]
    assert output_metadata.SUPPRESSION_OFF_JA in texts


def test_a_new_output_joins_the_workbook_without_code(tmp_path: Path) -> None:
    # An output the labels do not know yet (a column `base_kind`, a float `per_1000`)
    # still gets its sheet (named after the output) and its columns in the wide sheet.
    # `region` has one value per area: it describes the area, it is no column dimension.
    rates = pa.table(
        {
            "area_code": ["03", "04"],
            "area_name": ["岩手県", "宮城県"],
            "region": ["東北", "東北 (2)"],
            "indicator": ["houmon_shinryo", "houmon_shinryo"],
            "base_kind": ["age75p", "age75p"],
            "per_1000": pa.array([12.5, 9.75], pa.float64()),
        }
    )
    path = write_workbook(
        tmp_path / "x.xlsx", [SheetSource("newthing_by_prefecture", rates)], MANIFEST
    )
    book = cells(path)
    assert list(book) == ["説明", "地域別一覧", "newthing_by_prefecture"]
    assert row(book["newthing_by_prefecture"], 1, "ABCDEF") == [
        ("s", "地域コード"),
        ("s", "地域名"),
        ("s", "region"),
        ("s", "指標コード"),
        ("s", "base_kind"),  # no label yet: the English name, never a crash
        ("s", "per_1000"),
    ]
    wide = book["地域別一覧"]
    assert row(wide, 4, "ABC") == [("s", "03"), ("s", "岩手県"), ("n", 12.5)]
    assert row(wide, 5, "ABC") == [("s", "04"), ("s", "宮城県"), ("n", 9.75)]


def test_an_output_the_wide_sheet_cannot_place_keeps_its_long_sheet(tmp_path: Path) -> None:
    # Two rows for one area and no column telling them apart: no cell to put them in.
    table = pa.table({"area_code": ["03", "03"], "n": [1, 2], "when": [date(2025, 1, 1)] * 2})
    path = write_workbook(tmp_path / "x.xlsx", [SheetSource("odd_by_prefecture", table)], MANIFEST)
    book = cells(path)
    assert book["地域別一覧"]["A1"][1].startswith("一覧にできる出力がありません")  # type: ignore[union-attr]
    assert row(book["odd_by_prefecture"], 3, "AB") == [("s", "03"), ("n", 2.0)]


def test_text_that_looks_like_a_formula_or_number_stays_text(tmp_path: Path) -> None:
    table = pa.table({"area_code": ["0301"], "area_name": ["=1+2"], "note": ["http://x"]})
    path = write_workbook(tmp_path / "x.xlsx", [SheetSource("t_by_x", table)], MANIFEST)
    assert row(cells(path)["t_by_x"], 2, "ABC") == [("s", "0301"), ("s", "=1+2"), ("s", "http://x")]


def test_a_table_longer_than_a_sheet_continues_on_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workbook, "MAX_SHEET_ROWS", 3)  # a header and two rows per sheet
    path = write_workbook(
        tmp_path / "x.xlsx",
        [
            SheetSource(
                "claims_by_municipality", claims_table(), {"patients": "patients_suppressed"}
            )
        ],
        MANIFEST,
    )
    book = cells(path)
    assert list(book)[2:] == ["レセプト指標", "レセプト指標 (2)", "レセプト指標 (3)"]
    assert [book[name]["C2"] for name in list(book)[2:]] == [
        ("s", "03201"),
        ("s", "03201"),
        ("s", "03201"),
    ]
    assert book["レセプト指標 (3)"]["A1"] == ("s", "期間")


# -- through aggregate and the CLI ---------------------------------------------------------------
F_MORIOKA = "0310000001"


@pytest.fixture
def visits(warehouse: Warehouse) -> Warehouse:
    """341 patients in 盛岡市, 12 in 滝沢市 and 3 in 矢巾町, all aged 80, visited in May 2023 by a
    盛岡 clinic.

    By hand, month 2023-05, 訪問診療: residence 03201 patients 341 (75plus 341, other ages 0:
    no small cell); residence 03322 patients 3 → '-'. The 盛岡 area (0301) publishes 356 =
    341 + 12 + 3, so one more municipality of the area must be hidden for 矢巾町's 3 not to be
    356 − the others: the smallest shown one, 滝沢市's 12, and 盛岡市 stays shown. Facility basis
    03201 patients 356, facilities 1. The clinic's own 支援診３ row makes 1 facility in 03201.
    """
    locate_facility(warehouse, F_MORIOKA, "03201")
    add_lines(
        warehouse,
        repeat(Line("x", "2023-05", F_MORIOKA, "03201"), 341, "M")
        + repeat(Line("x", "2023-05", F_MORIOKA, "03216"), 12, "T")
        + repeat(Line("x", "2023-05", F_MORIOKA, "03322"), 3, "Y"),
    )
    return warehouse


def test_aggregate_writes_the_workbook_into_the_set_and_the_manifest(
    visits: Warehouse, tmp_path: Path
) -> None:
    result = aggregate(visits, level="municipality", out_dir=tmp_path, period="month", xlsx=True)
    folder = tmp_path / "municipality_monthly"
    assert result.workbook == folder / "municipality_monthly.xlsx"
    manifest = json.loads((folder / "manifest_municipality_monthly.json").read_text())
    entry = next(e for e in manifest["outputs"] if e["file"] == "municipality_monthly.xlsx")
    assert len(entry["sha256"]) == 64
    book = cells(result.workbook)
    claims = by_row(book["レセプト指標"])
    header = {value: col for col, (_k, value) in claims[1].items()}
    (line,) = [
        cells_of
        for number, cells_of in claims.items()
        if number > 1
        and cells_of[header["地域コード"]] == ("s", "03201")
        and cells_of[header["集計の基準"]] == ("s", "患者住所地")
        and cells_of[header["年齢区分"]] == ("s", "年齢計")
        and cells_of[header["指標コード"]] == ("s", "houmon_shinryo")
    ]
    assert line[header["期間"]] == ("s", "2023-05")
    assert line[header["指標"]] == ("s", "訪問診療")
    assert line[header["実患者数"]] == ("n", 341.0)
    wide = by_row(book["地域別一覧"])
    areas = {r["A"][1]: r for number, r in wide.items() if number > 5}
    columns = {tuple(wide[n].get(col, ("", ""))[1] for n in (3, 4, 5)): col for col in wide[5]}
    visit_residence = columns[("訪問診療", "患者住所地", "実患者数")]
    visit_facility = columns[("訪問診療", "医療機関所在地", "実患者数")]
    assert areas["03201"][visit_residence] == ("n", 341.0)
    assert areas["03322"][visit_residence] == ("s", "-")
    assert areas["03216"][visit_residence] == ("s", "-")  # the complement of 矢巾町
    assert areas["03201"][visit_facility] == ("n", 356.0)


def test_cli_xlsx_names_the_workbook(visits: Warehouse, tmp_path: Path, runner: object) -> None:
    from typer.testing import CliRunner

    assert isinstance(runner, CliRunner)
    visits.close()
    out = tmp_path / "out"
    args = ["aggregate", "--by", "prefecture", "-w", str(visits.path), "--out", str(out)]
    result = runner.invoke(app, [*args, "--xlsx", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["workbook"] == str(out / "prefecture" / "prefecture.xlsx")
    wide = cells(Path(document["workbook"]))["地域別一覧"]
    # Header rows 2-5 (output, indicator, basis, unit); 岩手県 keeps its leading zero.
    assert row(wide, 6, "AB") == [("s", "03"), ("s", "岩手県")]
    assert runner.invoke(app, args).exit_code == 0
    assert not (out / "prefecture" / "prefecture.xlsx").exists()  # only with --xlsx
