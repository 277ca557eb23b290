"""Recognising inputs by content: each kind in the shapes analysts have it, and the refusal of a
file no kind takes, naming every kind tried and why it did not match."""

from __future__ import annotations

from pathlib import Path

import pytest

from factories import bureau_list, count_table
from factories.claims import CANONICAL, GOOD, claim, rename, write_extract
from zaitaku_cli.config import INPUT_KINDS
from zaitaku_cli.readers.claims_extract import read_mapping
from zaitaku_cli.readers.detect import UnrecognisedInput, detect_kind, kinds

RAW = Path(__file__).parents[2] / "data" / "raw"

TRIED_FACILITIES = "as facilities (bureau list 届出受理医療機関名簿): "
TRIED_COUNTS = "as facility-counts (count table 市町名 × 受理記号): "
TRIED_CLAIMS = "as claims (KDB claims extract): "
TRIED_POPULATION = "as population (住基 population table (population.csv columns)): "
TRIED_ENROLMENT = "as enrolment (国保 + 後期 enrolment table): "
TRIED_SURVEY = "as survey (facility survey 訪問診療の実施可能件数・参入意向): "
TRIED_HUBS = "as hubs (hub list 在宅医療に必要な連携を担う拠点): "
NO_BUREAU_HEADER = "no row of the first 20 names 都道府県コード, 医療機関番号, 受理記号"
NO_COUNT_HEADER = "no row of 市町名 followed by 受理記号 columns in its first 30 rows"
NO_CLAIMS_HEADER = "the first line names no claims column (保険者番号, 被保険者番号, …)"
NO_POPULATION_HEADER = "the first line names no column of population.csv (code5, total, …)"
NO_ENROLMENT_HEADER = "the first line names no enrolment column (市町村コード, 被保険者数, …)"
NO_SURVEY_HEADER = (
    "no row of the first 20 names the survey columns (訪問診療の実施可能件数, 医療機関コード or "
    "医療機関名)"
)
NO_HUBS_HEADER = "no row of the first 20 names the hub list columns (名称, 事業区域)"
HINT = (
    " — name the kind: zaitaku ingest "
    "{facilities,facility-counts,claims,population,enrolment,survey,hubs} PATH"
)


def test_kinds_in_ingest_order() -> None:
    # the order files are ingested in: facility lists first (claims and surveys are placed by
    # them), survey and hubs last; refresh's per-kind folders ([refresh.inputs]) are the same kinds
    assert kinds() == [
        "facilities",
        "facility-counts",
        "claims",
        "population",
        "enrolment",
        "survey",
        "hubs",
    ]
    assert tuple(kinds()) == INPUT_KINDS


# -- each kind, as shipped in data/raw ----------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "kind", "reason"),
    [
        (
            "bureau_tohoku_2025-10.xlsx",
            "facilities",
            "sheet 医科: header row 4 with 24 of the 24 columns",
        ),
        # title on line 1, blank line 2, header line 3 (the seed's layout)
        (
            "iwate_morioka_counts.csv",
            "facility-counts",
            "header row 3: a name column and 8 受理記号",
        ),
        ("kdb_claims_sample.csv", "claims", "header with 11 claims columns (cp932)"),
        ("../../examples/enrolment.example.csv", "enrolment", "header with 6 enrolment columns"),
        ("../../examples/survey.example.csv", "survey", "header row 1 with 6 survey columns"),
        ("../../examples/hubs.example.csv", "hubs", "header row 1 with 4 hub list columns"),
        (
            "../../src/zaitaku_cli/reference/data/population.csv",
            "population",
            "header with the 35 columns of population.csv",
        ),
    ],
)
def test_sample_data(name: str, kind: str, reason: str) -> None:
    found = detect_kind(RAW / name)
    assert (found.kind, found.reason) == (kind, reason)


# -- bureau lists ---------------------------------------------------------------------------------
def test_bureau_csv_saved_from_excel(tmp_path: Path) -> None:
    path = bureau_list.write_csv(tmp_path / "list.csv", [bureau_row := bureau_list.bureau_row()])
    assert bureau_row  # the factory's default 岩手 clinic
    found = detect_kind(path)
    assert (found.kind, found.reason) == ("facilities", "header row 4 with 24 of the 24 columns")


def test_bureau_zip_with_cp932_member_names(tmp_path: Path) -> None:
    path = bureau_list.write_zip(
        tmp_path / "東北.zip",
        {"届出受理医療機関名簿（医科）.xlsx": bureau_list.xlsx_bytes([bureau_list.bureau_row()])},
    )
    found = detect_kind(path)
    assert found.kind == "facilities"
    assert found.reason == (
        "zip member 届出受理医療機関名簿（医科）.xlsx: sheet Sheet1: header row 4 with 24 of the "
        "24 columns"
    )


def test_bureau_header_missing_a_key_column_is_named(tmp_path: Path) -> None:
    headers = [h if h != "受理記号" else "記号" for h in bureau_list.HEADERS]
    path = bureau_list.write_csv(tmp_path / "edited.csv", [], headers=headers)
    with pytest.raises(UnrecognisedInput) as err:
        detect_kind(path)
    assert f"{TRIED_FACILITIES}row 4 has 23 of the 24 columns but not 受理記号;" in str(err.value)


# -- count tables ---------------------------------------------------------------------------------
def test_count_table_as_xlsx_and_as_pasted_text(tmp_path: Path) -> None:
    book = count_table.write_xlsx(tmp_path / "t.xlsx", count_table.seed_rows(), first_row=2)
    found = detect_kind(book)
    # title at row 2, blank row 3, header at row 4
    assert (found.kind, found.reason) == (
        "facility-counts",
        "sheet 表: header row 4: a name column and 8 受理記号",
    )
    text = count_table.write_text(tmp_path / "t.txt", count_table.seed_rows(title=None))
    assert detect_kind(text).reason == "header row 1: a name column and 8 受理記号"


# -- claims ---------------------------------------------------------------------------------------
def test_claims_with_english_aliases_in_utf8_with_bom(tmp_path: Path) -> None:
    names = {"被保険者番号": "person_id", "性別": "sex", "算定回数": "times"}
    header = [names.get(h, h) for h in CANONICAL]
    path = write_extract(
        tmp_path / "x.csv", [rename(GOOD, names)], header=header, encoding="utf-8-sig"
    )
    found = detect_kind(path)
    assert (found.kind, found.reason) == ("claims", "header with 11 claims columns (utf-8)")


def test_claims_of_another_layout_need_their_mapping(tmp_path: Path) -> None:
    names = {"被保険者番号": "被保番", "算定回数": "回数", "診療行為コード": "行為コード"}
    header = [names.get(h, h) for h in CANONICAL]
    path = write_extract(tmp_path / "other.csv", [rename(claim(), names)], header=header)
    with pytest.raises(UnrecognisedInput) as err:
        detect_kind(path)
    # 回数 is a known alias of 算定回数; 被保番 and 行為コード are not, without a mapping.
    assert (
        f"{TRIED_CLAIMS}the first line names 9 claims columns but not 被保険者番号, "
        "診療行為コード (another layout: map its headers with --mapping)"
    ) in str(err.value)
    mapping = read_mapping(RAW.parent.parent / "examples" / "claims_mapping.example.toml")
    assert detect_kind(path, claims_mapping=mapping).kind == "claims"


def test_a_claims_header_is_not_a_count_table(tmp_path: Path) -> None:
    # 市町村名 is a count table's name header too; what follows it here is not 受理記号.
    path = write_extract(tmp_path / "c.csv", [claim()])
    assert detect_kind(path).kind == "claims"


def test_only_the_start_of_a_file_is_read(tmp_path: Path) -> None:
    # Lines far past the first 64 KB are never looked at: a damaged tail does not change
    # what the file is (the ingest reports it with its line number).
    path = write_extract(tmp_path / "big.csv", [claim()] * 2000)
    with path.open("ab") as fh:
        fh.write(b"\xff\x00garbage" * 1000)
    assert detect_kind(path).kind == "claims"


def test_a_workbook_is_not_loaded_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fastexcel

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("detection must not load the workbook")

    monkeypatch.setattr(fastexcel, "read_excel", refuse)
    path = bureau_list.write_xlsx(tmp_path / "l.xlsx", [bureau_list.bureau_row()] * 50)
    assert detect_kind(path).kind == "facilities"


# -- refusals ------------------------------------------------------------------------------------
def test_an_unrecognised_file_names_every_kind_tried(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("会議メモ\n来週までに名簿を更新する\n", encoding="utf-8")
    with pytest.raises(UnrecognisedInput) as err:
        detect_kind(path)
    assert str(err.value) == (
        f"{path}: not a kind of input zaitaku recognises — tried "
        f"{TRIED_FACILITIES}{NO_BUREAU_HEADER}; "
        f"{TRIED_COUNTS}{NO_COUNT_HEADER}; "
        f"{TRIED_CLAIMS}{NO_CLAIMS_HEADER}; "
        f"{TRIED_POPULATION}{NO_POPULATION_HEADER}; "
        f"{TRIED_ENROLMENT}{NO_ENROLMENT_HEADER}; "
        f"{TRIED_SURVEY}{NO_SURVEY_HEADER}; "
        f"{TRIED_HUBS}{NO_HUBS_HEADER}{HINT}"
    )


@pytest.mark.parametrize(
    ("content", "bureau", "counts", "claims"),
    [
        (b"", "the file is empty", "the file is empty", "the file is empty"),
        (
            b"\x00\x01\x02binary",
            "binary data, not text",
            "binary data, not text",
            "binary data, not text",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
            "a legacy .xls workbook (Excel 97-2003): save it as .xlsx",
            "a legacy .xls workbook (Excel 97-2003): save it as .xlsx",
            "a workbook or archive; claims extracts are CSV text",
        ),
    ],
)
def test_refusal_reasons(
    tmp_path: Path, content: bytes, bureau: str, counts: str, claims: str
) -> None:
    path = tmp_path / "in.xlsx"
    path.write_bytes(content)
    with pytest.raises(UnrecognisedInput) as err:
        detect_kind(path)
    message = str(err.value)
    assert f"{TRIED_FACILITIES}{bureau};" in message
    assert f"{TRIED_COUNTS}{counts};" in message
    assert f"{TRIED_CLAIMS}{claims};" in message
    assert message.endswith(HINT)


def test_a_refusal_never_quotes_the_data(tmp_path: Path) -> None:
    # A headerless extract starts with a person key: the message must not carry it.
    path = tmp_path / "noheader.csv"
    path.write_text(",".join(GOOD.values()) + "\n", encoding="utf-8")
    with pytest.raises(UnrecognisedInput) as err:
        detect_kind(path)
    assert GOOD["被保険者番号"] not in str(err.value)


def test_an_enrolment_table_is_not_taken_for_claims_or_counts(tmp_path: Path) -> None:
    # 市町村コード and 市町村名 are claims columns too, and 市町村名 a count table's name header
    path = tmp_path / "members.csv"
    path.write_text(
        "基準日,市町村コード,市町村名,制度,年齢階級,被保険者数\n"
        "2025-03-31,032018,盛岡市,後期,75plus,40000\n",
        encoding="utf-8",
    )
    found = detect_kind(path)
    assert (found.kind, found.reason) == ("enrolment", "header with 6 enrolment columns")
    tried = dict(found.tried)
    assert tried["claims"].reason == (
        "the first line names 2 claims columns but not 被保険者番号, 性別, 診療年月, "
        "医療機関コード, 診療行為コード, 算定回数, 年齢 or 生年月日 (another layout: map its "
        "headers with --mapping)"
    )
    assert not tried["facility-counts"].matched


def test_a_survey_workbook_below_its_title(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "在宅医療実態調査.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("回答")
    sheet.write(0, 0, "令和7年度 在宅医療に関する実態調査")
    sheet.write_row(2, 0, ["医療機関名称", "住所", "実施可能件数", "今後の意向"])
    sheet.write_row(3, 0, ["照井内科クリニック", "盛岡市川原町5丁目13-28", 30, "拡大"])
    book.close()
    found = detect_kind(path)
    assert (found.kind, found.reason) == (
        "survey",
        "sheet 回答: header row 3 with 4 survey columns",
    )
