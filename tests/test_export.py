"""Writers: atomic replace, Excel-friendly encodings, suppressed cells as '-'."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from zaitaku_cli.errors import ZaitakuError
from zaitaku_cli.export import atomic_path, write_csv, write_outputs


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
        "area_name,patients,patients_suppressed",
        "盛岡市,120,false",
        "雫石町,-,true",
    ]


def test_csv_in_cp932_for_old_tools(tmp_path: Path) -> None:
    target = write_csv(sample(), tmp_path / "x.csv", encoding="cp932")
    assert target.read_bytes().decode("cp932").splitlines()[1] == "盛岡市,120,false"


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
