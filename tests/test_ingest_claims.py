"""Claims ingest: what lands in claim_lines and rejects, refusals, re-ingest, person-key privacy."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factories.claims import CANONICAL, claim, rename, write_extract
from zaitaku_cli.demo.claims_extract import SERVICE_MONTHS, write_claims_extract
from zaitaku_cli.errors import EmptyExtract, InputError, RejectRateExceeded
from zaitaku_cli.ingest_claims import ingest_claim_extracts
from zaitaku_cli.person_keys import hmac_pads, person_key
from zaitaku_cli.reference import claim_codes
from zaitaku_cli.warehouse import Warehouse


def lines(wh: Warehouse, columns: str = "source_row, service_month") -> list[tuple]:
    return wh.fetch_all(f"select {columns} from claim_lines order by source_row")


def rejects(wh: Warehouse) -> list[tuple]:
    return wh.fetch_all(
        "select row_number, column_name, reason, value from rejects "
        "order by row_number, column_name nulls first"
    )


def table_counts(wh: Warehouse) -> tuple[int, int, int]:
    return wh.fetch_all(
        "select (select count(*) from claim_lines), (select count(*) from rejects), "
        "(select count(*) from ingest_log)"
    )[0]


# -- a clean file ------------------------------------------------------------------------------
def test_loads_a_cp932_extract_with_canonical_headers(warehouse: Warehouse, tmp_path: Path) -> None:
    path = write_extract(
        tmp_path / "kdb.csv",
        [
            claim(),
            # 仙台市 by its 政令市 code 041009: 0·6 + 4·5 + 1·4 + 0·3 + 0·2 = 24, 24 mod 11 = 2,
            # (11 − 2) mod 10 = 9 → valid; 国保 names a 政令市 by the city, not the ward.
            claim(
                被保険者番号="P000000002",
                性別="1",
                年齢="74",
                市町村コード="041009",
                市町村名="仙台市",
                保険者番号="041002",
                算定回数="3",
                入外区分="",
            ),
        ],
    )
    [summary] = ingest_claim_extracts(warehouse, [path])

    assert (summary.status, summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (
        "loaded",
        2,
        2,
        0,
    )
    assert summary.pref_codes == ["03", "04"]
    assert summary.details["encoding"] == "cp932"
    assert summary.details["service_months"] == {"2023-04": 2}
    assert lines(
        warehouse,
        "source_row, service_month, insurer_no, sex, age, residence_code5, inout, "
        "facility_code10, act_code, times",
    ) == [
        (2, date(2023, 4, 1), "39030000", "2", 82, "03201", "2", "0311234567", "114001110", 1),
        # 入外区分 may be empty (null); 6-digit 041009 is stored as code5 04100
        (3, date(2023, 4, 1), "041002", "1", 74, "04100", None, "0311234567", "114001110", 3),
    ]
    [log] = warehouse.ingests()
    assert (log["kind"], log["file_name"], log["rows_read"], log["rows_loaded"]) == (
        "claims",
        "kdb.csv",
        2,
        2,
    )
    assert log["pref_codes"] == "03,04"


def test_utf8_bom_and_english_headers(warehouse: Warehouse, tmp_path: Path) -> None:
    english = dict(
        zip(
            CANONICAL,
            [
                "insurer_no",
                "person_id",
                "sex",
                "age",
                "municipality_code",
                "municipality_name",
                "service_month",
                "inout",
                "facility_code",
                "procedure_code",
                "times",
            ],
            strict=True,
        )
    )
    path = write_extract(
        tmp_path / "bom.csv",
        [rename(claim(), english)],
        header=list(english.values()),
        encoding="utf-8-sig",
        line_end="\n",
    )
    [summary] = ingest_claim_extracts(warehouse, [path])
    assert (summary.rows_loaded, summary.details["encoding"]) == (1, "utf-8")
    # UTF-8 is only parsed, not transcoded.
    assert summary.details["transcoded"] is False
    assert lines(warehouse, "source_row, residence_code5") == [(2, "03201")]


# -- 診療年月 ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("202304", date(2023, 4, 1)),
        ("2023/04", date(2023, 4, 1)),
        ("2023-04", date(2023, 4, 1)),
        ("2023年4月", date(2023, 4, 1)),
        # 令和 starts in 2019 (元年): 令和5 = 2019 + 5 − 1 = 2023
        ("R05.04", date(2023, 4, 1)),
        ("R5.4", date(2023, 4, 1)),
        ("令和5年4月", date(2023, 4, 1)),
        ("令和元年5月", date(2019, 5, 1)),
        # 平成 starts in 1989: 平成31 = 1989 + 31 − 1 = 2019; 平成 ran to 2019-04-30
        ("H31.04", date(2019, 4, 1)),
        # KDB-style: era digit (5 = 令和), 2-digit era year, 2-digit month
        ("50504", date(2023, 4, 1)),
        ("43104", date(2019, 4, 1)),  # 4 = 平成
        # full-width, as typed in Excel
        ("５０５０４", date(2023, 4, 1)),
        ("Ｒ５．４", date(2023, 4, 1)),
    ],
)
def test_service_month_forms(warehouse: Warehouse, tmp_path: Path, text: str, month: date) -> None:
    path = write_extract(tmp_path / "m.csv", [claim(診療年月=text)])
    ingest_claim_extracts(warehouse, [path])
    assert lines(warehouse) == [(2, month)]


def test_era_column_beside_a_bare_era_year(warehouse: Warehouse, tmp_path: Path) -> None:
    header = [*CANONICAL, "元号"]
    path = write_extract(
        tmp_path / "era.csv",
        [
            claim(診療年月="5.04", 元号="令和"),  # 令和5年4月 = 2023-04
            claim(診療年月="5.04", 元号="5"),  # KDB era code 5 = 令和
            claim(診療年月="31.04", 元号="H"),  # 平成31年4月 = 2019-04
            claim(診療年月="0504", 元号="R"),  # 令和05年04月
            claim(診療年月="5.04", 元号="X"),  # line 6: unknown era
        ],
        header=header,
    )
    [summary] = ingest_claim_extracts(warehouse, [path], max_reject_rate=1.0)
    assert lines(warehouse) == [
        (2, date(2023, 4, 1)),
        (3, date(2023, 4, 1)),
        (4, date(2019, 4, 1)),
        (5, date(2023, 4, 1)),
    ]
    # a reject keeps the shape of the value, not the value: an ASCII letter is 'a'
    assert rejects(warehouse) == [(6, "元号", "元号: not a known era", "a")]
    assert summary.rows_rejected == 1


# The value a reject keeps is the text's shape: ASCII digits '#', ASCII letters 'a', the
# separators . / : - and space as they are, anything else '*'.
@pytest.mark.parametrize(
    ("text", "reason", "shape"),
    [
        # 令和 began on 2019-05-01, so 令和元年4月 does not exist
        ("令和元年4月", "診療年月: year outside the era", "****#*"),
        # 平成32年 would be 2020: 平成 had ended
        ("H32.01", "診療年月: year outside the era", "a##.##"),
        ("2023/13", "診療年月: not a valid month", "####/##"),
        (
            "abc",
            "診療年月: not a month form zaitaku reads (202304, 2023/04, R05.04, 令和5年4月, 50504)",
            "aaa",
        ),
        ("5.04", "診療年月: era year without a 元号 column", "#.##"),
        # 昭和64年1月 = 1989-01: a real month, but before the month table (2000-04 on)
        ("S64.1", "診療年月: outside the months zaitaku covers (2000-04 to 2060-03)", "a##.#"),
        ("", "診療年月: missing", ""),
    ],
)
def test_bad_service_months_are_rejected(
    warehouse: Warehouse, tmp_path: Path, text: str, reason: str, shape: str
) -> None:
    path = write_extract(tmp_path / "m.csv", [claim(), claim(診療年月=text)])
    ingest_claim_extracts(warehouse, [path], max_reject_rate=1.0)
    assert lines(warehouse) == [(2, date(2023, 4, 1))]
    assert rejects(warehouse) == [(3, "診療年月", reason, shape)]


# -- 市町村コード ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "code5"),
    [
        # 盛岡市 032018: 0·6 + 3·5 + 2·4 + 0·3 + 1·2 = 25; 25 mod 11 = 3; (11 − 3) mod 10 = 8 ✓
        ("032018", "03201"),
        ("03201", "03201"),
        # 仙台市青葉区 041017: 0 + 20 + 4 + 0 + 2 = 26; 26 mod 11 = 4; (11 − 4) mod 10 = 7 ✓
        ("041017", "04101"),
        # 矢巾町 033227: 0 + 15 + 12 + 6 + 4 = 37; 37 mod 11 = 4; (11 − 4) mod 10 = 7 ✓
        ("033227", "03322"),
    ],
)
def test_residence_codes(warehouse: Warehouse, tmp_path: Path, code: str, code5: str) -> None:
    path = write_extract(tmp_path / "c.csv", [claim(市町村コード=code)])
    ingest_claim_extracts(warehouse, [path])
    assert lines(warehouse, "residence_code5") == [(code5,)]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        # 032019: the check digit of 03201 is 8 (above), not 9
        (
            "032019",
            "市町村コード: check digit does not match (a 6-digit code ends with its check digit)",
        ),
        ("3201", "市町村コード: not 5 or 6 digits"),
        ("99999", "市町村コード: not in the municipality list"),
        # 030007 is 岩手県 itself (valid check digit: 0 + 15 + 0 + 0 + 0 = 15, 15 mod 11 = 4,
        # 11 − 4 = 7): a prefecture is not a place of residence
        ("030007", "市町村コード: not in the municipality list"),
        ("", "市町村コード: missing"),
    ],
)
def test_bad_residence_codes(warehouse: Warehouse, tmp_path: Path, code: str, reason: str) -> None:
    path = write_extract(tmp_path / "c.csv", [claim(), claim(市町村コード=code)])
    ingest_claim_extracts(warehouse, [path], max_reject_rate=1.0)
    # digits only: the shape is one '#' per digit
    assert rejects(warehouse) == [(3, "市町村コード", reason, "#" * len(code))]


# -- other columns -----------------------------------------------------------------------------
def test_rejected_rows_with_line_numbers_reasons_and_values(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    path = write_extract(
        tmp_path / "bad.csv",
        [
            claim(),  # line 2
            claim(性別="3"),  # 3
            "",  # 4: a blank line is no row, but still a line
            claim(年齢="7.5", 算定回数="-1"),  # 5: two reasons, two reject rows
            claim(算定回数="x"),  # 6
            claim(算定回数="0"),  # 7: zero times is valid
            claim(医療機関コード="311234567"),  # 8: 9 digits
            claim(診療行為コード="11400111"),  # 9: 8 digits
            claim(入外区分="3"),  # 10
            claim(保険者番号="12345"),  # 11
            claim(年齢="131"),  # 12
            "39030000,P000000001,2",  # 13: too few fields
            ",,,,,,,,,,",  # 14: only delimiters, as Excel writes empty rows: not a row either
            claim(),  # 15
        ],
    )
    [summary] = ingest_claim_extracts(warehouse, [path], max_reject_rate=1.0)

    assert lines(warehouse, "source_row, times") == [(2, 1), (7, 0), (15, 1)]
    # values as shapes: '3' → '#', '7.5' → '#.#', '-1' → '-#', 'x' → 'a'
    assert rejects(warehouse) == [
        (3, "性別", "性別: not 1 (男) or 2 (女)", "#"),
        (5, "年齢", "年齢: not a whole number", "#.#"),
        (5, "算定回数", "算定回数: negative", "-#"),
        (6, "算定回数", "算定回数: not a whole number", "a"),
        (8, "医療機関コード", "医療機関コード: not 10 digits", "#" * 9),
        (9, "診療行為コード", "診療行為コード: not 9 digits", "#" * 8),
        (10, "入外区分", "入外区分: not 1 (入院) or 2 (入院外)", "#"),
        (11, "保険者番号", "保険者番号: not 6 or 8 digits", "#####"),
        (12, "年齢", "年齢: over 130", "###"),
        (13, None, "wrong number of fields", "3 fields, the header has 11"),
    ]
    # 12 data rows (blank line 4 and empty line 14 are not rows), 9 of them rejected
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (12, 3, 9)
    assert summary.reject_reasons["算定回数: not a whole number"] == 1
    assert sum(summary.reject_reasons.values()) == 10  # line 5 counts under two reasons
    assert [(e["row"], e["column"], e["value"]) for e in summary.reject_examples] == [
        (3, "性別", "#"),
        (5, "年齢", "#.#"),
        (5, "算定回数", "-#"),
        (6, "算定回数", "a"),
        (8, "医療機関コード", "#########"),
    ]
    assert summary.details["blank_lines"] == 1


def test_lines_with_many_surplus_fields_keep_later_line_numbers(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    # lines with surplus fields are set aside by the reader, and the lines after them keep
    # their numbers
    long_line = ",".join(["x"] * 20)
    one_more = ",".join([*claim().values(), "extra"])
    path = write_extract(
        tmp_path / "long.csv",
        [claim(), long_line, claim(), long_line, claim(性別="9"), one_more, claim()],
    )
    ingest_claim_extracts(warehouse, [path], max_reject_rate=1.0)
    assert lines(warehouse, "source_row") == [(2,), (4,), (8,)]
    assert rejects(warehouse) == [
        (3, None, "wrong number of fields", "20 fields, the header has 11"),
        (5, None, "wrong number of fields", "20 fields, the header has 11"),
        (6, "性別", "性別: not 1 (男) or 2 (女)", "#"),
        (7, None, "wrong number of fields", "12 fields, the header has 11"),
    ]


@pytest.mark.parametrize(
    ("born", "age"),
    [
        # age on the first day of the service month (2023-04-01)
        ("19450401", 78),  # birthday that very day
        ("1945/04/15", 77),  # birthday later in the month
        ("1945-03-31", 78),
        # 昭和20 = 1926 + 20 − 1 = 1945
        ("S20.04.15", 77),
        ("昭和20年4月1日", 78),
        # KDB-style: era digit 3 (昭和), 20, 04, 01
        ("3200401", 78),
    ],
)
def test_age_from_birth_date(warehouse: Warehouse, tmp_path: Path, born: str, age: int) -> None:
    header = [h if h != "年齢" else "生年月日" for h in CANONICAL]
    path = write_extract(tmp_path / "b.csv", [claim(生年月日=born)], header=header)
    ingest_claim_extracts(warehouse, [path])
    assert lines(warehouse, "age") == [(age,)]


def test_bad_birth_dates(warehouse: Warehouse, tmp_path: Path) -> None:
    header = [h if h != "年齢" else "生年月日" for h in CANONICAL]
    path = write_extract(
        tmp_path / "b.csv",
        [
            claim(生年月日="19450230"),  # 2: no 30 February
            claim(生年月日="20230415"),  # 3: born after the service month
            claim(生年月日=""),  # 4: no age given is not an error (age group 'unknown')
            claim(生年月日="S65.01.01"),  # 5: 昭和 ended in its 64th year
        ],
        header=header,
    )
    ingest_claim_extracts(warehouse, [path], max_reject_rate=1.0)
    assert rejects(warehouse) == [
        (2, "生年月日", "生年月日: not a valid date", "########"),
        (3, "生年月日", "生年月日: after the service month", "########"),
        (5, "生年月日", "生年月日: year outside the era", "a##.##.##"),
    ]
    assert lines(warehouse, "age") == [(None,)]  # line 4 kept, age unknown


# -- mapping files -----------------------------------------------------------------------------
def test_mapping_file_maps_headers_values_and_delimiter(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    names = {"被保険者番号": "被保番", "性別": "SEX", "入外区分": "入外", "診療年月": "年月"}
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        """
        encoding = "utf-8"
        delimiter = "tab"
        [columns]
        "被保番" = "被保険者番号"
        "SEX" = "sex"
        "入外" = "入外区分"
        "年月" = "診療年月"
        [values."性別"]
        "M" = "1"
        "F" = "2"
        [values."入外区分"]
        "外来" = "2"
        """,
        encoding="utf-8",
    )
    path = write_extract(
        tmp_path / "tab.tsv",
        [
            rename(claim(性別="F", 入外区分="外来"), names),
            rename(claim(性別="M", 入外区分="外来"), names),
            rename(claim(性別="X"), names),  # line 4: not mapped, not 1/2
        ],
        header=[names.get(h, h) for h in CANONICAL],
        delimiter="\t",
        encoding="utf-8",
    )
    [summary] = ingest_claim_extracts(warehouse, [path], mapping=mapping, max_reject_rate=1.0)
    assert lines(warehouse, "source_row, sex, inout") == [(2, "2", "2"), (3, "1", "2")]
    # the reject names the file's own header
    assert rejects(warehouse) == [(4, "SEX", "性別: not 1 (男) or 2 (女)", "a")]
    assert summary.details["columns"]["被保番"] == "被保険者番号"


def test_missing_required_column_is_refused_before_reading(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    header = [h for h in CANONICAL if h not in ("被保険者番号", "年齢")]
    path = write_extract(tmp_path / "short.csv", [claim()], header=header)
    with pytest.raises(InputError) as err:
        ingest_claim_extracts(warehouse, [path])
    assert str(err.value) == (
        f"{path}, row 1: required column(s) missing: 被保険者番号, 年齢 or 生年月日 (headers "
        "found: 保険者番号, 性別, 市町村コード, 市町村名, 診療年月, 入外区分, 医療機関コード, "
        "診療行為コード, 算定回数) — map your headers to the canonical names with --mapping "
        '[columns], e.g. "被保番" = "被保険者番号"'
    )
    assert table_counts(warehouse) == (0, 0, 0)


# -- refusal and re-ingest ---------------------------------------------------------------------
def test_reject_rate_above_the_limit_keeps_nothing(warehouse: Warehouse, tmp_path: Path) -> None:
    good = write_extract(tmp_path / "good.csv", [claim(診療年月="202303")])
    ingest_claim_extracts(warehouse, [good])
    before = table_counts(warehouse)
    assert before == (1, 0, 1)

    # 2 bad rows of 4 = 50 % > 10 %
    bad = write_extract(
        tmp_path / "bad.csv",
        [claim(), claim(性別="3"), claim(), claim(算定回数="x", 診療年月="2023-13")],
    )
    with pytest.raises(RejectRateExceeded) as err:
        ingest_claim_extracts(warehouse, [bad], max_reject_rate=0.1)
    assert str(err.value) == (
        f"{bad}: 2 of 4 rows rejected (50.00%), above the limit of 10.00%. Most common: "
        "1 × 性別: not 1 (男) or 2 (女); 1 × 算定回数: not a whole number; "
        "1 × 診療年月: not a valid month. First: line 3 性別 '#': 性別: not 1 (男) or 2 (女); "
        "line 5 診療年月 '####-##': 診療年月: not a valid month; line 5 算定回数 'a': "
        "算定回数: not a whole number — nothing of this file was kept; fix those rows, map headers "
        "or codes with --mapping, or raise --max-reject-rate"
    )
    # nothing of bad.csv: no claim lines, no rejects, no ingest_log row
    assert table_counts(warehouse) == before
    # …and the warehouse still works
    ingest_claim_extracts(warehouse, [bad], max_reject_rate=0.5)
    assert table_counts(warehouse) == (3, 3, 2)


def test_reject_rate_at_the_limit_is_accepted(warehouse: Warehouse, tmp_path: Path) -> None:
    # 1 of 4 = 25 %: not above 25 %
    path = write_extract(tmp_path / "x.csv", [claim(), claim(), claim(), claim(性別="")])
    [summary] = ingest_claim_extracts(warehouse, [path], max_reject_rate=0.25)
    assert (summary.rows_loaded, summary.rows_rejected) == (3, 1)
    assert rejects(warehouse) == [(5, "性別", "性別: missing", "")]


def test_identical_file_is_unchanged(warehouse: Warehouse, tmp_path: Path) -> None:
    path = write_extract(tmp_path / "a.csv", [claim(), claim(性別="3")])
    [first] = ingest_claim_extracts(warehouse, [path], max_reject_rate=1.0)
    copy = tmp_path / "copy-of-a.csv"
    copy.write_bytes(path.read_bytes())
    [again] = ingest_claim_extracts(warehouse, [copy], max_reject_rate=1.0)
    assert (first.status, again.status) == ("loaded", "unchanged")
    assert again.sha256 == first.sha256
    assert table_counts(warehouse) == (1, 1, 1)
    assert "identical to a.csv" in again.warnings[0]


def test_unmapped_home_care_codes_are_listed(warehouse: Warehouse, tmp_path: Path) -> None:
    known = set(claim_codes()["code"])
    assert "114999990" not in known and "999999999" not in known
    path = write_extract(
        tmp_path / "codes.csv",
        [
            claim(診療行為コード="114999990"),
            claim(診療行為コード="114999990"),
            claim(診療行為コード="114999980"),
            claim(診療行為コード="999999999"),  # not 在宅 (114…): not listed
            claim(),  # 114001110 is in the table
        ],
    )
    [summary] = ingest_claim_extracts(warehouse, [path])
    assert summary.details["unmapped_codes"] == [
        {"code": "114999990", "lines": 2},
        {"code": "114999980", "lines": 1},
    ]
    # unknown codes are loaded all the same: the indicators simply do not count them
    assert summary.rows_loaded == 5


# -- person keys -------------------------------------------------------------------------------
def test_person_key_is_the_hmac_of_the_raw_key(warehouse: Warehouse, tmp_path: Path) -> None:
    path = write_extract(
        tmp_path / "p.csv",
        [
            claim(被保険者番号="ABC-123"),
            claim(被保険者番号=" ABC-123 "),
            claim(被保険者番号="被保険者１"),
        ],
    )
    ingest_claim_extracts(warehouse, [path])
    key = warehouse.hmac_key()
    expected = hmac.new(key, b"ABC-123", hashlib.sha256).hexdigest()
    expected_ja = hmac.new(key, "被保険者１".encode(), hashlib.sha256).hexdigest()
    # surrounding spaces are trimmed: the same person, the same key
    assert warehouse.fetch_all(
        "select p.person_key from claim_lines as l "
        "inner join persons as p on p.person_id = l.person_id order by l.source_row"
    ) == [(expected,), (expected,), (expected_ja,)]
    assert person_key(key, " ABC-123 ") == expected


def test_person_ids_are_kept_across_files(warehouse: Warehouse, tmp_path: Path) -> None:
    first = write_extract(
        tmp_path / "a.csv",
        [claim(被保険者番号="A"), claim(被保険者番号="B"), claim(被保険者番号="A")],
    )
    second = write_extract(
        tmp_path / "b.csv",
        [
            claim(被保険者番号="B", 診療年月="202305"),
            claim(被保険者番号="C", 診療年月="202305"),
            claim(被保険者番号="D", 性別="3", 診療年月="202305"),  # rejected: D is no person
        ],
    )
    ingest_claim_extracts(warehouse, [first])
    ingest_claim_extracts(warehouse, [second], max_reject_rate=1.0)
    key = warehouse.hmac_key()
    persons = dict(warehouse.fetch_all("select person_key, person_id from persons"))
    assert set(persons) == {person_key(key, p) for p in "ABC"}
    # A and B keep the numbers of the first file; C, new in the second, gets a higher one.
    # Numbers are unique but may leave gaps: a person seen only on rejected lines (D) may have
    # been numbered in staging and is not stored.
    first_ids = {persons[person_key(key, "A")], persons[person_key(key, "B")]}
    assert first_ids == {1, 2}
    assert persons[person_key(key, "C")] in {3, 4}
    assert len(set(persons.values())) == 3
    by_line = warehouse.fetch_all(
        "select g.file_name, l.source_row, p.person_key from claim_lines as l "
        "inner join persons as p on p.person_id = l.person_id "
        "inner join ingest_log as g on g.ingest_id = l.ingest_id order by 1, 2"
    )
    assert [row[2] for row in by_line] == [person_key(key, p) for p in "ABABC"]


def test_hmac_pads_follow_rfc_2104_for_long_keys() -> None:
    # A key longer than the 64-byte block is hashed first.
    long_key = b"k" * 100
    ipad, opad = hmac_pads(long_key)
    inner = hashlib.sha256(ipad + b"msg").digest()
    assert (
        hashlib.sha256(opad + inner).hexdigest()
        == hmac.new(long_key, b"msg", hashlib.sha256).hexdigest()
    )


def test_raw_person_key_is_stored_nowhere(warehouse_path: Path, tmp_path: Path) -> None:
    secret = "ZQXSECRET0042"
    rows: list[dict[str, str] | str] = [
        claim(被保険者番号=secret),
        claim(被保険者番号=secret, 性別="3"),  # rejected: raw_row must hide the key
        f"39030000,{secret},2",  # too few fields
        ",".join(["39030000", secret, *["x"] * 18]),  # too many: set aside by the reader
    ]
    rows += [claim(被保険者番号=f"{secret}{i}") for i in range(50)]
    path = write_extract(tmp_path / "p.csv", rows)
    with Warehouse(warehouse_path) as wh:
        ingest_claim_extracts(wh, [path], max_reject_rate=1.0)
        assert wh.fetch_all("select count(*) from rejects")[0][0] == 3
        tables = wh.fetch_all(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE'"
        )
        assert len(tables) >= 5

        def holding(text: str) -> list[str]:
            # each row as one string ({'col': value, …}), so every column is searched
            return [
                f"{schema}.{table}"
                for schema, table in tables
                if wh.fetch_all(
                    f'select count(*) from "{schema}"."{table}" as t '
                    "where strpos(cast(t as varchar), $s) > 0",
                    {"s": text},
                )[0][0]
            ]

        assert holding(secret) == []
        # the search does find what is there: the key's HMAC, in persons (a reject keeps not
        # even the HMAC: its person field is '*')
        hashed = person_key(wh.hmac_key(), secret)
        assert sorted(holding(hashed)) == ["main.persons"]
        wh.con.execute("checkpoint")
    data = warehouse_path.read_bytes()
    assert secret.encode() not in data
    # nor in any file left beside the warehouse (WAL, DuckDB's spill directory, UTF-8 copies)
    leftovers = [p for p in warehouse_path.parent.rglob("*") if p.is_file()]
    assert [p.name for p in leftovers if secret.encode() in p.read_bytes()] == []
    assert not [p for p in warehouse_path.parent.iterdir() if p.name.startswith(".claims-")]


# Distinct raw keys, one per hostile line: none may be stored or printed anywhere.
HOSTILE_KEYS = [f"QZK{n:07d}" for n in range(1, 13)]


def hostile_extract(path: Path) -> Path:
    """100 good lines, then malformed and ill-placed lines each carrying a raw key of its own."""
    k = HOSTILE_KEYS
    rest = "2,82,032018,盛岡市,202304,2,0311234567,114001110,1"
    rows: list[dict[str, str] | str] = [claim(被保険者番号=f"GOOD{i:04d}") for i in range(100)]
    rows += [
        f"39030000,{k[0]},2",  # short
        ",".join(["39030000", k[1], rest, "extra", "more"]),  # long
        f"39030000,X,{k[2]},{rest}",  # shifted: the key in the 性別 position
        f"39030000;{k[3]};{rest.replace(',', ';')}",  # another delimiter: one field
        f"39030000\t{k[4]}\t{rest.replace(',', chr(9))}",  # tabs: one field
        f"39030000,{k[5]}," + "x" * 200_000,  # over-long: beyond the csv module's field limit
        claim(被保険者番号="P0", 性別=k[6]),  # well-formed, the key in 性別
        claim(被保険者番号=k[7], 性別="3"),  # well-formed, rejected: the key in its own column
        claim(市町村名=k[8], 算定回数="x"),  # well-formed, rejected: the key in 市町村名
        claim(保険者番号=k[9][3:], 被保険者番号="P0", 年齢="x"),  # 7 digits of a key, insurer
        f'39030000,"{k[10]},{rest}',  # a quote left open …
        claim(被保険者番号=k[11]),  # … swallows the next line
    ]
    return write_extract(path, rows)


@pytest.mark.parametrize("limit", ["1", "0.01"], ids=["loaded", "refused"])
def test_no_raw_key_of_a_hostile_file_is_stored_or_printed(
    runner: CliRunner, tmp_path: Path, limit: str
) -> None:
    from zaitaku_cli.cli import app

    path = hostile_extract(tmp_path / "hostile.csv")
    secrets = [*HOSTILE_KEYS, *(f"GOOD{i:04d}" for i in range(100))]
    printed = ""
    for mode in ([], ["--json"]):
        folder = tmp_path / f"wh{len(mode)}"
        folder.mkdir()  # a warehouse is only created in a folder that exists
        wh = str(folder / "w.duckdb")
        args = ["ingest", "claims", str(path), "--max-reject-rate", limit, "-w", wh, *mode]
        result = runner.invoke(app, args)
        assert result.exit_code == (0 if limit == "1" else 1), result.output
        printed += result.stdout + result.stderr
        # the warehouse is closed: its file, a WAL, DuckDB's spill folder, the reader's parts
        files = [p for p in folder.rglob("*") if p.is_file()]
        assert any(p.suffix == ".duckdb" for p in files)
        for p in files:
            data = p.read_bytes()
            assert [s for s in secrets if s.encode() in data] == [], p.name
    assert [s for s in secrets if s in printed] == []
    if limit == "1":
        with Warehouse(tmp_path / "wh0" / "w.duckdb") as wh:
            kept = wh.fetch_all(
                "select row_number, column_name, value, raw_row from rejects "
                "order by row_number nulls last, column_name"
            )
        # What a reject keeps instead: field counts and shapes (digits '#', ASCII letters 'a',
        # others '*', 24 characters a field at most); a well-formed line's 被保険者番号 is '*'.
        # A key QZK0000007 has the shape aaa#######.
        body = "#,##,######,***,######,#,##########,#########,#"
        assert kept == [
            (102, None, "3 fields, the header has 11", "########,aaa#######,#"),
            (103, None, "13 fields, the header has 11", f"########,aaa#######,{body},aaaaa,aaaa"),
            (104, None, "12 fields, the header has 11", f"########,a,aaa#######,{body}"),
            # ';' and tab are no delimiter here: the whole line is one field, cut at 24
            (105, None, "1 fields, the header has 11", "########*aaa#######*#*##…"),
            (106, None, "1 fields, the header has 11", "########*aaa#######*#*##…"),
            (107, None, "3 fields, the header has 11", "########,aaa#######," + "a" * 24 + "…"),
            (108, "性別", "aaa#######", "########,*,aaa#######," + body[2:]),
            (109, "性別", "#", f"########,*,{body}"),
            (
                110,
                "算定回数",
                "a",
                "########,*,#,##,######,aaa#######,######,#,##########,#########,a",
            ),
            (
                111,
                "保険者番号",
                "#######",
                "#######,*,#,a,######,***,######,#,##########,#########,#",
            ),
            (111, "年齢", "a", "#######,*,#,a,######,***,######,#,##########,#########,#"),
            # the open quote's field runs to the line end; line 113 is merged into it
            (112, None, "2 fields, the header has 11", "########,aaa#######*#*##*######**…"),
            (None, None, "1 lines", None),
        ]


# -- the synthetic extract ---------------------------------------------------------------------
def test_demo_extract_is_deterministic_and_loads_cleanly(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    a = write_claims_extract(tmp_path / "a.csv", rows=3_000, seed=7)
    b = write_claims_extract(tmp_path / "b.csv", rows=3_000, seed=7)
    c = write_claims_extract(tmp_path / "c.csv", rows=3_000, seed=8)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    text = a.read_bytes().decode("cp932")
    assert text.splitlines()[0] == ",".join(CANONICAL)

    [summary] = ingest_claim_extracts(warehouse, [a])
    assert (summary.rows_read, summary.rows_rejected) == (3_000, 0)
    assert summary.pref_codes == ["03", "04"]
    assert set(summary.details["service_months"]) <= {f"{m[:4]}-{m[4:]}" for m in SERVICE_MONTHS}
    assert summary.details["unmapped_codes"] == []
    share_75, share_home_care = warehouse.fetch_all(
        """
        select avg(case when age >= 75 then 1.0 else 0 end),
            avg(case when c.indicator is not null then 1.0 else 0 end)
        from claim_lines as l left join ref_claim_codes as c on c.code = l.act_code
        """
    )[0]
    assert share_75 > 0.75  # mostly 後期高齢者
    assert 0.5 < share_home_care < 0.8  # the rest: 初診料 / 再診料
    # R6 codes (only in the 2024-05-31 master) never bill before 2024-06
    early_r6 = warehouse.fetch_all(
        """
        select count(*) from claim_lines as l
        inner join ref_claim_codes as c on c.code = l.act_code
        where c.seen_in = 'master2024-05-31' and l.service_month < date '2024-06-01'
        """
    )[0][0]
    assert early_r6 == 0


def test_demo_extract_uses_the_given_facilities(tmp_path: Path) -> None:
    codes = ["0310000001", "0410000002"]
    path = write_claims_extract(
        tmp_path / "f.csv", rows=500, facility_codes=codes, encoding="utf-8"
    )
    column = CANONICAL.index("医療機関コード")
    used = {line.split(",")[column] for line in path.read_text("utf-8").splitlines()[1:]}
    assert used == set(codes)


def test_line_numbers_hold_across_parallel_parts(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Large files are decoded in parts by several processes; force three parts on a small one.
    from zaitaku_cli.readers import worker_pool

    monkeypatch.setattr(worker_pool, "workers_for", lambda size: 3)
    rows: list[dict[str, str] | str] = [claim(被保険者番号=f"P{i}") for i in range(90)]
    rows[9] = claim(性別="3")  # line 11
    rows[44] = ""  # line 46: blank
    rows[79] = claim(算定回数="x")  # line 81
    rows[88] = ",".join(["x"] * 20)  # line 90: set aside by the reader
    path = write_extract(tmp_path / "p.csv", rows)
    [summary] = ingest_claim_extracts(warehouse, [path], max_reject_rate=1.0)
    assert summary.details["decode_workers"] == 3
    assert [r[:2] for r in rejects(warehouse)] == [(11, "性別"), (81, "算定回数"), (90, None)]
    loaded = [r[0] for r in lines(warehouse, "source_row")]
    assert loaded == [n for n in range(2, 92) if n not in (11, 46, 81, 90)]


# -- awkward files -----------------------------------------------------------------------------
def test_lines_swallowed_by_an_open_quote_count_as_rejected(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    # Line 3 opens a quote that never closes: the reader reads lines 3 and 4 as one row with
    # the wrong number of fields. Line 4 cannot be told apart any more, but it must not vanish
    # uncounted.
    open_quote = '39030000,"P9,2,82,032018,盛岡市,202304,2,0311234567,114001110,1'
    path = write_extract(tmp_path / "q.csv", [claim(), open_quote, claim()])
    [summary] = ingest_claim_extracts(warehouse, [path], max_reject_rate=1.0)
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (3, 1, 2)
    # (how many fields the open-quoted line has depends on where the quote is taken to end)
    assert [r[:3] for r in rejects(warehouse)] == [
        (3, None, "wrong number of fields"),
        (
            None,
            None,
            'line merged into an earlier row by quotes (a " left open, or a quoted line break)',
        ),
    ]
    assert summary.warnings == [
        "1 line(s) are not rows of their own: quotes merged them into earlier rows (see the "
        "rejects with the wrong number of fields); they count as rejected"
    ]


def test_a_malformed_line_too_long_to_split_is_rejected_without_its_text(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    # a 200,000-character field is beyond Python's csv module: the line is split by the
    # delimiter alone, still counted and rejected, and only its shape is kept (24 characters
    # of a field at most)
    huge = "39030000,P1," + "x" * 200_000
    path = write_extract(tmp_path / "huge.csv", [claim(), huge, claim()])
    [summary] = ingest_claim_extracts(warehouse, [path], max_reject_rate=1.0)
    assert (summary.rows_read, summary.rows_loaded) == (3, 2)
    assert warehouse.fetch_all("select row_number, value, raw_row from rejects") == [
        (3, "3 fields, the header has 11", "########,a#," + "a" * 24 + "…")
    ]


def test_bytes_invalid_in_cp932_reject_their_row(warehouse: Warehouse, tmp_path: Path) -> None:
    path = write_extract(tmp_path / "x.csv", [claim(), claim(被保険者番号="P2")])
    # 0x81 0x20 is no CP932 character: the byte pair becomes U+FFFD and its row is rejected
    path.write_bytes(
        path.read_bytes() + b"39030000,P3,2,82,032018,\x81\x20,202304,2,0311234567,114001110,1\r\n"
    )
    [summary] = ingest_claim_extracts(warehouse, [path], encoding="cp932", max_reject_rate=1.0)
    assert (summary.rows_read, summary.rows_loaded) == (3, 2)
    assert rejects(warehouse) == [
        (4, None, "bytes not valid in the file's encoding (they read as U+FFFD)", None)
    ]
    assert any(w.startswith("some bytes were not valid cp932") for w in summary.warnings)


def test_pipe_delimited_cp932_is_decoded_before_it_is_split(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    # 倒 is 0x93 0x7C in CP932: its second byte is a '|', so such a file must be decoded first
    path = write_extract(
        tmp_path / "p.csv",
        [claim(市町村名="倒町", 診療年月="令和5年4月"), claim(市町村名="盛岡市")],
        delimiter="|",
    )
    assert b"\x93|" in path.read_bytes()
    [summary] = ingest_claim_extracts(warehouse, [path])
    assert (summary.rows_read, summary.rows_loaded) == (2, 2)
    assert lines(warehouse, "service_month") == [(date(2023, 4, 1),), (date(2023, 4, 1),)]


def test_mixed_line_ends_are_read(warehouse: Warehouse, tmp_path: Path) -> None:
    path = write_extract(tmp_path / "m.csv", [claim(), claim()])
    lf_line = ",".join(claim(被保険者番号="P3").values()) + "\n"
    path.write_bytes(path.read_bytes() + lf_line.encode("cp932") + b"")
    more = ",".join(claim(被保険者番号="P4", 性別="3").values()) + "\r\n"
    path.write_bytes(path.read_bytes() + more.encode("cp932"))
    [summary] = ingest_claim_extracts(warehouse, [path], max_reject_rate=1.0)
    assert (summary.rows_read, summary.rows_loaded) == (4, 3)
    assert [r[:2] for r in rejects(warehouse)] == [(5, "性別")]
    # files pasted together from Windows and Unix are ordinary: nothing to warn about
    assert summary.warnings == []


def test_header_only_is_refused(warehouse: Warehouse, tmp_path: Path) -> None:
    # blank lines are no data lines either
    path = write_extract(tmp_path / "h.csv", ["", ""])
    with pytest.raises(EmptyExtract) as err:
        ingest_claim_extracts(warehouse, [path])
    assert str(err.value) == (
        f"{path}: no data lines: the file holds only a header — nothing was recorded; if an "
        "extract without claims is expected, ingest it with --allow-empty"
    )
    assert table_counts(warehouse) == (0, 0, 0)


def test_header_only_is_recorded_when_allowed(warehouse: Warehouse, tmp_path: Path) -> None:
    path = write_extract(tmp_path / "h.csv", [])
    [summary] = ingest_claim_extracts(warehouse, [path], allow_empty=True)
    assert (summary.status, summary.rows_read, summary.warnings) == (
        "loaded",
        0,
        ["no data lines: only a header"],
    )
    assert table_counts(warehouse) == (0, 0, 1)
    # recorded: the same file again is recognised
    [again] = ingest_claim_extracts(warehouse, [path], allow_empty=True)
    assert again.status == "unchanged"
