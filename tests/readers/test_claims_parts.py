"""Claims extract lines: the decoded UTF-8 copy, and the Parquet parts with their line numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from factories.claims import CANONICAL, GOOD, claim, write_extract
from zaitaku_cli.errors import InputError
from zaitaku_cli.person_keys import person_key
from zaitaku_cli.readers.claims_extract import ClaimsMapping, ExtractLayout, read_layout
from zaitaku_cli.readers.claims_parts import (
    MalformedLine,
    ParsedExtract,
    create_raw_view,
    parse_extract,
    prepare_utf8,
    shape,
    shape_sql,
)

# the warehouse's secret for person keys, in these tests
SECRET = b"test-secret-of-32-bytes-exactly!"


def layout_of(path: Path, encoding: str = "auto") -> ExtractLayout:
    return read_layout(path, ClaimsMapping(), encoding=encoding)


def test_cp932_is_decoded_to_utf8(tmp_path: Path) -> None:
    path = write_extract(tmp_path / "a.csv", [claim(), claim(市町村名="宮古市")])
    prepared = prepare_utf8(layout_of(path), tmp_path)
    assert (prepared.encoding, prepared.transcoded, prepared.lines) == ("cp932", True, 3)
    [part] = prepared.paths
    assert part != path
    assert part.read_bytes().decode("utf-8") == path.read_bytes().decode("cp932")


def test_ascii_header_then_cp932_rows_are_found_while_streaming(tmp_path: Path) -> None:
    # An English header and a first megabyte of ASCII tell nothing: the encoding is settled at
    # the first non-ASCII block.
    header = [
        "insurer_no", "person_id", "sex", "age", "municipality_code", "municipality_name",
        "service_month", "inout", "facility_code", "procedure_code", "times",
    ]  # fmt: skip
    ascii_rows = [
        dict(zip(header, GOOD.values(), strict=True)) | {"municipality_name": ""}
    ] * 20_000
    japanese = dict(zip(header, GOOD.values(), strict=True))
    path = write_extract(tmp_path / "late.csv", [*ascii_rows, japanese], header=header)
    assert path.stat().st_size > 1 << 20
    layout = layout_of(path)
    assert layout.encoding == "ascii"
    prepared = prepare_utf8(layout, tmp_path)
    assert (prepared.encoding, prepared.transcoded) == ("cp932", True)
    assert (
        prepared.paths[0]
        .read_bytes()
        .decode("utf-8")
        .endswith("盛岡市,202304,2,0311234567,114001110,1\r\n")
    )


def test_clean_utf8_is_read_in_place(tmp_path: Path) -> None:
    path = write_extract(tmp_path / "u.csv", [claim()], encoding="utf-8", line_end="\n")
    prepared = prepare_utf8(layout_of(path), tmp_path / "unused")
    assert (prepared.paths, prepared.transcoded, prepared.lines) == ((path,), False, 2)


def test_blank_lines_become_empty_rows(tmp_path: Path) -> None:
    # A blank line is no row for a CSV reader, which would shift every later line number: blank
    # lines are written as rows of empty fields instead (10 commas for 11 columns).
    path = write_extract(tmp_path / "b.csv", ["", claim(), "", ""], encoding="utf-8", line_end="\n")
    prepared = prepare_utf8(layout_of(path), tmp_path)
    assert (prepared.transcoded, prepared.blank_lines, prepared.lines) == (True, 3, 5)
    text = prepared.paths[0].read_bytes().decode("utf-8").split("\n")
    assert text[1] == "," * 10 and text[3] == "," * 10 and text[4] == "," * 10


def test_blank_lines_of_either_line_end_are_found(tmp_path: Path) -> None:
    # a CRLF file with LF-only lines pasted in: its blank lines are found whatever their end
    path = tmp_path / "mixed.csv"
    good = "39030000,P1,2,82,032018,x,202304,2,0311234567,114001110,1"
    path.write_bytes(f"{','.join(CANONICAL)}\r\n{good}\r\n\n{good}\n\r\n{good}\r\n".encode())
    parsed = parse_extract(layout_of(path), tmp_path, secret=SECRET)
    assert (parsed.rows, parsed.malformed, parsed.decoded.blank_lines) == (5, [], 2)
    assert [n for n, p, _ in parsed_rows(path, parsed) if p == ""] == [3, 5]


def test_bytes_invalid_in_the_encoding_are_replaced(tmp_path: Path) -> None:
    path = write_extract(tmp_path / "x.csv", [claim()])
    # 0x81 0x20 is no CP932 character: the byte pair becomes U+FFFD, the row is rejected later
    path.write_bytes(
        path.read_bytes() + b"39030000,P2,2,82,032018,\x81\x20,202304,2,0311234567,114001110,1\r\n"
    )
    prepared = prepare_utf8(layout_of(path, encoding="cp932"), tmp_path)
    assert prepared.replaced
    assert "\ufffd" in prepared.paths[0].read_bytes().decode("utf-8")


def test_parallel_parts_decode_to_the_same_text(tmp_path: Path) -> None:
    rows: list[dict[str, str] | str] = [
        claim(被保険者番号=f"P{i:09d}", 市町村名="宮古市") for i in range(300)
    ]
    rows[150] = ""  # a blank line inside some part
    path = write_extract(tmp_path / "a.csv", rows)
    prepared = prepare_utf8(layout_of(path), tmp_path, workers=3)
    assert prepared.workers == 3 and len(prepared.paths) == 3
    parts = [p.read_bytes().decode("utf-8") for p in prepared.paths]
    header, _, _ = parts[0].partition("\r\n")
    # every part starts with the header line (the reader skips it in each), in the file's line
    # ends
    assert all(part.startswith(header + "\r\n") for part in parts)
    joined = parts[0] + "".join(part.removeprefix(header + "\r\n") for part in parts[1:])
    expected = path.read_bytes().decode("cp932").replace("\r\n\r\n", "\r\n" + "," * 10 + "\r\n")
    assert joined == expected
    assert (prepared.lines, prepared.blank_lines) == (301, 1)


class Recorder:
    """A Progress that keeps what it was told, and when."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any, Any]] = []

    def start(self, description: str, total: int | None = None, *, unit: str = "steps") -> None:
        self.events.append(("start", description, (total, unit)))

    def advance(self, amount: int = 1, *, lines: int = 0) -> None:
        self.events.append(("advance", amount, lines))

    def finish(self) -> None:
        self.events.append(("finish", None, None))


def test_progress_moves_while_the_parts_are_read(tmp_path: Path) -> None:
    # 3,000 CP932 lines (~200 KB) in two parts read 16 KB at a time: each worker tells every
    # block it reads, so the bar moves many times before the parts are done, not once per
    # part at their end; bytes add up to the file and lines to its line ends.
    rows = [claim(被保険者番号=f"P{i:09d}", 市町村名="宮古市") for i in range(3_000)]
    path = write_extract(tmp_path / "a.csv", rows)
    size = path.stat().st_size
    recorder = Recorder()
    parsed = parse_extract(
        layout_of(path), tmp_path, secret=SECRET, progress=recorder, workers=2, block_bytes=16 << 10
    )
    assert parsed.decoded.workers == 2 and parsed.rows == 3_000
    assert recorder.events[0] == ("start", "a.csv: reading cp932", (size, "bytes"))
    assert recorder.events[-1] == ("finish", None, None)
    advances = [(n, lines) for kind, n, lines in recorder.events if kind == "advance"]
    assert len(advances) >= size // (16 << 10)  # every block, ~12 of them
    assert sum(n for n, _ in advances) == size
    assert sum(lines for _, lines in advances) == 3_001  # header + rows, each ends in CR LF


def test_progress_of_a_file_read_here_moves_too(tmp_path: Path) -> None:
    # One part (a small file, or one CPU) is read in this process: the same reports.
    rows = [claim(被保険者番号=f"P{i:09d}") for i in range(500)]
    path = write_extract(tmp_path / "a.csv", rows)
    recorder = Recorder()
    prepare_utf8(layout_of(path), tmp_path, progress=recorder, workers=1, block_bytes=4 << 10)
    advances = [(n, lines) for kind, n, lines in recorder.events if kind == "advance"]
    assert len(advances) > 1
    assert sum(n for n, _ in advances) == path.stat().st_size
    assert sum(lines for _, lines in advances) == 501


def parsed_rows(
    path: Path, parsed: ParsedExtract, layout: ExtractLayout | None = None
) -> list[tuple[int, str, str]]:
    """(line, 被保険者番号, 性別) of every row of the Parquet parts, as DuckDB numbers them."""
    import duckdb

    con = duckdb.connect()
    create_raw_view(con, layout or layout_of(path), parsed)
    return con.sql("select line_no, person_id, sex from raw_claim_lines order by 1").fetchall()


def test_every_line_is_a_row_or_set_aside_even_when_many_are(tmp_path: Path) -> None:
    # A CRLF file of 150,000 lines, every other one too long, in two parts: each line is a row
    # or set aside, and both keep their line numbers.
    good = "39030000,P000000001,2,82,032018,x,202304,2,0311234567,114001110,1"
    long = ",".join(["x"] * 20)
    lines = [",".join(CANONICAL)] + [long if i % 2 == 0 else good for i in range(150_000)]
    path = tmp_path / "in.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    parsed = parse_extract(layout_of(path), tmp_path, secret=SECRET, workers=2)
    assert (parsed.rows, len(parsed.malformed), parsed.decoded.workers) == (75_000, 75_000, 2)
    # the reader keeps no text of a malformed line, only its shape: 'x' is an ASCII letter
    shaped = ",".join(["a"] * 20)
    assert parsed.malformed[:2] == [MalformedLine(2, 20, shaped), MalformedLine(4, 20, shaped)]
    assert parsed.malformed[-1] == MalformedLine(150_000, 20, shaped)
    numbered = parsed_rows(path, parsed)
    assert [n for n, _, _ in numbered] == list(range(3, 150_002, 2))


def test_rows_of_the_parts_keep_their_lines(tmp_path: Path) -> None:
    rows: list[dict[str, str] | str] = [claim(被保険者番号=f"P{i}") for i in range(60)]
    rows[5] = "39030000,P5,2"  # line 7: too few fields
    rows[30] = ""  # line 32: blank, a row of empty fields
    # line 41 opens a quote that swallows line 42; line 43 has too many fields
    rows[39] = '39030000,"P39,2,82,032018,x,202304,2,0311234567,114001110,1'
    rows[41] = ",".join([*claim().values(), "extra"])
    path = write_extract(tmp_path / "in.csv", rows)
    parsed = parse_extract(layout_of(path), tmp_path, secret=SECRET, workers=3)
    # line 41 alone (its quote runs to its end) is two fields: 39030000 and 'P39,2,…,1'
    assert [(m.line, m.fields) for m in parsed.malformed] == [(7, 3), (41, 2), (43, 12)]
    assert parsed.malformed[0].shape == "########,a#,#"
    # the quoted field P39,2,82,0… shaped ('a##' then '*' for each comma), cut at 24
    assert parsed.malformed[1].shape == "########,a##*#*##*######*a*######…"
    assert parsed.merged_lines == 1
    assert not parsed.quoted_line_breaks
    numbered = parsed_rows(path, parsed)
    expected = [n for n in range(2, 62) if n not in (7, 41, 42, 43)]
    assert [n for n, _, _ in numbered] == expected
    # the person on each line is the one written there (line n holds P{n-2}), as its key
    assert all(p == person_key(SECRET, f"P{n - 2}") for n, p, _ in numbered if n != 32)
    assert [(p, sex) for n, p, sex in numbered if n == 32] == [("", "")]


@pytest.mark.parametrize("workers", [1, 2])
def test_parts_hold_person_keys_never_the_raw_number(tmp_path: Path, workers: int) -> None:
    # What a killed ingest leaves in its scratch folder: the parts. Each 被保険者番号 is there
    # as its keyed hash (HMAC-SHA256 of the trimmed text), in this process and in workers;
    # a blank one stays blank (missing), one with bytes invalid in CP932 keeps U+FFFD in front.
    rows: list[dict[str, str] | str] = [claim(被保険者番号=f"ZQX{i:06d}") for i in range(2_000)]
    rows[7] = claim(被保険者番号="  ZQX000001 ")
    rows[8] = claim(被保険者番号="   ")
    path = write_extract(tmp_path / "in.csv", rows)
    broken_line = b"39030000,ZQX\x81\x20,2,82,032018,x,202304,2,0311234567,114001110,1\r\n"
    path.write_bytes(path.read_bytes() + broken_line)
    parts = tmp_path / "parts"
    parts.mkdir()
    layout = layout_of(path, encoding="cp932")
    parsed = parse_extract(layout, parts, secret=SECRET, workers=workers, block_bytes=16 << 10)
    assert parsed.decoded.workers == workers
    for part in parts.iterdir():
        assert b"ZQX" not in part.read_bytes()
    persons = {n: p for n, p, _ in parsed_rows(path, parsed, layout)}
    assert persons[2] == person_key(SECRET, "ZQX000000")
    assert persons[9] == persons[3] == person_key(SECRET, "ZQX000001")  # trimmed: one person
    assert persons[10] == "   "
    broken = persons[2002]
    assert broken.startswith("\ufffd") and len(broken) == 65


def test_quoted_line_breaks_are_noticed(tmp_path: Path) -> None:
    row = '39030000,P1,2,82,032018,"盛岡\n市",202304,2,0311234567,114001110,1\n'
    text = ",".join(CANONICAL) + "\n" + row
    path = tmp_path / "in.csv"
    path.write_bytes(text.encode("utf-8"))
    parsed = parse_extract(layout_of(path), tmp_path, secret=SECRET)
    assert (parsed.rows, parsed.malformed, parsed.quoted_line_breaks) == (1, [], True)


def test_too_many_malformed_lines_refuse_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zaitaku_cli.readers import claims_parts

    monkeypatch.setattr(claims_parts, "_MAX_MALFORMED", 2)
    path = write_extract(tmp_path / "in.csv", ["a;b;c"] * 3 + [claim()])
    with pytest.raises(InputError) as err:
        parse_extract(layout_of(path), tmp_path, secret=SECRET)
    assert str(err.value).startswith(
        f"{path}: more than 2 lines have a number of fields other than the header's (the first "
        "is line 2)"
    )


def test_an_interrupt_stops_the_workers_already_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal
    import subprocess

    from zaitaku_cli.readers import claims_parts

    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        if len(started) == 2:
            raise KeyboardInterrupt  # Ctrl-C while the third worker starts
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(claims_parts.subprocess, "Popen", popen)
    path = write_extract(tmp_path / "a.csv", [claim(被保険者番号=f"P{i:09d}") for i in range(300)])
    with pytest.raises(KeyboardInterrupt):
        prepare_utf8(layout_of(path), tmp_path, workers=3)
    # both were still starting their interpreter (≥ 0.1 s): stopped, not left to finish
    assert [p.returncode for p in started] == [-signal.SIGKILL, -signal.SIGKILL]


def test_a_column_the_extract_lacks_is_a_typed_null(tmp_path: Path) -> None:
    # The canonical extract has no 元号 column (era): it is null, typed varchar like every
    # canonical column. An untyped null (DuckDB's NULL type) is refused by Spark's ANSI mode in
    # the staging SQL that reads this view (stg_claim_rejects), issue 10.
    import duckdb

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
    import duckdb

    assert shape(value) == expected
    con = duckdb.connect()
    got = con.execute(f"select {shape_sql('v')} from (select $v as v)", {"v": value}).fetchall()
    assert got == [(expected,)]
