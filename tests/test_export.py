"""Writers: atomic replace, Excel-friendly encodings, suppressed cells as '-'."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from zaitaku_cli.errors import ZaitakuError
from zaitaku_cli.export import atomic_path, csv_bytes, write_csv, write_outputs


def sample() -> pa.Table:
    return pa.table(
        {
            "area_name": ["盛岡市", "雫石町"],
            "patients": pa.array([120, None], pa.int64()),
            "patients_suppressed": [False, True],
        }
    )


def test_csv_defaults_to_utf8_with_bom_and_marks_suppressed_cells(tmp_path: Path) -> None:
    target = write_csv(
        sample(), tmp_path / "x.csv", suppress_flags={"patients": "patients_suppressed"}
    )
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines() == [
        '"area_name","patients","patients_suppressed"',
        '"盛岡市",120,"false"',
        '"雫石町","-","true"',
    ]


def test_csv_quotes_codes_and_periods_so_an_import_keeps_them() -> None:
    # Every byte: BOM, quoted header, codes and periods quoted (03 stays 03, 2023-04 stays
    # text), numbers bare, a suppressed cell the quoted text "-", null empty, CRLF line ends.
    table = pa.table(
        {
            "period": ["2023-04", "2023-04", "FY2023"],
            "area_code": ["03", "03201", "0301"],
            "area_name": ["岩手県", "盛岡市", 'a "quoted", name'],
            "patients": pa.array([341, None, 0], pa.int64()),
            "patients_suppressed": [False, True, False],
            "rate": pa.array([1.5, None, 0.25], pa.float64()),
            "as_of": pa.array([date(2025, 10, 1), None, date(2025, 10, 1)], pa.date32()),
        }
    )
    raw = csv_bytes(table, name="t.csv", suppress_flags={"patients": "patients_suppressed"})
    assert raw == (
        b"\xef\xbb\xbf"
        + '"period","area_code","area_name","patients","patients_suppressed","rate","as_of"\r\n'
        '"2023-04","03","岩手県",341,"false",1.5,"2025-10-01"\r\n'
        '"2023-04","03201","盛岡市","-","true",,\r\n'
        '"FY2023","0301","a ""quoted"", name",0,"false",0.25,"2025-10-01"\r\n'.encode()
    )


def test_csv_of_an_empty_table_is_its_header() -> None:
    table = pa.table({"area_code": pa.array([], pa.string()), "n": pa.array([], pa.int64())})
    assert csv_bytes(table, name="t.csv", encoding="utf-8") == b'"area_code","n"\r\n'


def test_csv_in_cp932_for_old_tools(tmp_path: Path) -> None:
    target = write_csv(sample(), tmp_path / "x.csv", encoding="cp932")
    assert target.read_bytes().decode("cp932").splitlines()[1] == '"盛岡市",120,"false"'


def test_cp932_refuses_characters_it_cannot_hold(tmp_path: Path) -> None:
    table = pa.table({"name": ["𠮷野家"]})  # U+20BB7 is outside CP932
    with pytest.raises(ZaitakuError, match="cannot be written in cp932"):
        write_csv(table, tmp_path / "x.csv", encoding="cp932")
    assert not (tmp_path / "x.csv").exists()


def test_failed_write_keeps_the_previous_good_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("good\n")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "good\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temp file left behind


def test_parquet_keeps_null_and_metadata(tmp_path: Path) -> None:
    write_outputs(sample(), tmp_path, "t", metadata={"coverage": "国保・後期高齢者のみ"})
    table = pq.read_table(tmp_path / "t.parquet")
    assert table.column("patients").to_pylist() == [120, None]  # suppressed is null, never 0
    assert table.schema.metadata[b"zaitaku.coverage"].decode() == "国保・後期高齢者のみ"


def test_pair_is_replaced_together_or_not_at_all(tmp_path: Path) -> None:
    (tmp_path / "t.parquet").write_text("old")
    (tmp_path / "t.csv").mkdir()  # a folder in the way of the CSV
    with pytest.raises(ZaitakuError, match=r"cannot write .*t\.csv"):
        write_outputs(sample(), tmp_path, "t", metadata={})
    assert (tmp_path / "t.parquet").read_text() == "old"  # not a new Parquet beside no CSV
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "t.parquet"]


def test_outputs_are_readable_by_colleagues(tmp_path: Path) -> None:
    import os

    old = os.umask(0o022)
    try:
        paths = write_outputs(sample(), tmp_path, "t", metadata={})
    finally:
        os.umask(old)
    assert {oct(p.stat().st_mode & 0o777) for p in paths} == {"0o644"}  # not mkstemp's 0600


@pytest.mark.slow
def test_libreoffice_import_with_quoted_as_text_keeps_codes_and_periods(tmp_path: Path) -> None:
    """What a careful import sees: LibreOffice Calc's CSV filter with "quoted field as text".

    Excel ignores the quotes when a CSV is double-clicked; this checks the import the quotes
    are for. Needs LibreOffice (`apt-get install libreoffice-calc-nogui`).
    """
    import shutil
    import subprocess

    from test_workbook import cells

    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: the import cannot be checked here")
    table = pa.table(
        {
            "period": ["2023-04", "FY2023"],
            "area_code": ["03", "03201"],
            "patients": pa.array([341, None], pa.int64()),
            "patients_suppressed": [False, True],
        }
    )
    csv = tmp_path / "claims.csv"
    csv.write_bytes(
        csv_bytes(table, name=csv.name, suppress_flags={"patients": "patients_suppressed"})
    )
    # Filter options: comma, double quote, UTF-8 (76), from line 1, Japanese locale (1041),
    # quoted field as text = true, detect special numbers = true (the dialog's defaults).
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--infilter=CSV:44,34,76,1,,1041,true,true",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "out"),
            str(csv),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    (sheet,) = cells(tmp_path / "out" / "claims.xlsx").values()
    assert [sheet.get(ref) for ref in ("A2", "B2", "C2", "A3", "B3", "C3")] == [
        ("s", "2023-04"),
        ("s", "03"),
        ("n", 341.0),
        ("s", "FY2023"),
        ("s", "03201"),
        ("s", "-"),
    ]
