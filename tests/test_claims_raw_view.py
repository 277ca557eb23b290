"""The view the claims ingest makes over the reader's Parquet parts: typed columns, shapes."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from factories.claims import claim, write_extract
from zaitaku_cli.claims_raw_view import create_raw_view, shape_sql
from zaitaku_cli.readers.claims_extract import ClaimsMapping, ExtractLayout, read_layout
from zaitaku_cli.readers.claims_parsing import parse_extract, shape

# the warehouse's secret for person keys, in these tests
SECRET = b"test-secret-of-32-bytes-exactly!"


def layout_of(path: Path) -> ExtractLayout:
    return read_layout(path, ClaimsMapping(), encoding="auto")


def test_a_column_the_extract_lacks_is_a_typed_null(tmp_path: Path) -> None:
    # The canonical extract has no 元号 column (era): it is null, typed varchar like every
    # canonical column. An untyped null (DuckDB's NULL type) is refused by Spark's ANSI mode in
    # the staging SQL that reads this view (stg_claim_rejects), issue 10.
    path = write_extract(tmp_path / "in.csv", [claim()])
    parsed = parse_extract(layout_of(path), tmp_path, secret=SECRET, workers=1)
    con = duckdb.connect()
    create_raw_view(con, layout_of(path), parsed)
    types = dict(
        con.sql("select column_name, column_type from (describe raw_claim_lines)").fetchall()
    )
    assert types["era"] == types["era_shape"] == types["person_id_shape"] == "VARCHAR"
    assert con.sql("select era from raw_claim_lines").fetchall() == [(None,)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ""),
        ("3", "#"),
        ("P000000001", "a#########"),
        ("R05.04", "a##.##"),
        ("2023/04-01 10:00", "####/##-## ##:##"),
        ("令和5年4月", "**#*#*"),
        ("盛岡市", "***"),
        ("a#*", "a#*"),
        ('"x,y"', "*a*a*"),
        ("１２３", "***"),  # full-width digits are not ASCII digits
        ("9" * 30, "#" * 24 + "…"),
    ],
)
def test_shape_in_python_and_in_sql_agree(value: str, expected: str) -> None:
    assert shape(value) == expected
    con = duckdb.connect()
    got = con.execute(f"select {shape_sql('v')} from (select $v as v)", {"v": value}).fetchall()
    assert got == [(expected,)]


@pytest.mark.parametrize("delimiter", ["\t", "|", ";"])
def test_a_rows_shape_is_joined_by_the_files_delimiter(tmp_path: Path, delimiter: str) -> None:
    # raw_shape, what a reject keeps of its row: each field shaped, 被保険者番号 as '*' alone,
    # joined by the file's own delimiter (GOOD's 11 fields: 39030000 → ########, …)
    row = claim(被保険者番号="P000000001", 性別="X")
    path = write_extract(tmp_path / "d.csv", [row], delimiter=delimiter, encoding="utf-8")
    layout = layout_of(path)
    assert layout.delimiter == delimiter
    con = duckdb.connect()
    create_raw_view(con, layout, parse_extract(layout, tmp_path, secret=SECRET, workers=1))
    expected = delimiter.join(
        ["########", "*", "a", "##", "######", "***", "######", "#", "##########", "#########", "#"]
    )
    assert con.sql("select line_no, raw_shape from raw_claim_lines").fetchall() == [(2, expected)]
