"""Claims extract lines as Parquet parts: every line a row or set aside, with its line number, and
person keys in place of 被保険者番号."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from factories.claims import CANONICAL, claim, write_extract
from zaitaku_cli.claims_raw_view import create_raw_view
from zaitaku_cli.errors import InputError
from zaitaku_cli.person_keys import person_key
from zaitaku_cli.readers.claims_extract import ClaimsMapping, ExtractLayout, read_layout
from zaitaku_cli.readers.claims_parsing import MalformedLine, ParsedExtract, parse_extract

# the warehouse's secret for person keys, in these tests
SECRET = b"test-secret-of-32-bytes-exactly!"


def layout_of(path: Path, encoding: str = "auto") -> ExtractLayout:
    return read_layout(path, ClaimsMapping(), encoding=encoding)


def test_blank_lines_of_either_line_end_are_found(tmp_path: Path) -> None:
    # a CRLF file with LF-only lines pasted in: its blank lines are found whatever their end
    path = tmp_path / "mixed.csv"
    good = "39030000,P1,2,82,032018,x,202304,2,0311234567,114001110,1"
    path.write_bytes(f"{','.join(CANONICAL)}\r\n{good}\r\n\n{good}\n\r\n{good}\r\n".encode())
    parsed = parse_extract(layout_of(path), tmp_path, secret=SECRET)
    assert (parsed.rows, parsed.malformed, parsed.decoded.blank_lines) == (5, [], 2)
    assert [n for n, p, _ in parsed_rows(path, parsed) if p == ""] == [3, 5]


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
    parse_extract(
        layout_of(path), tmp_path, secret=SECRET, progress=recorder, workers=1, block_bytes=4 << 10
    )
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
    from zaitaku_cli.readers import claims_parsing

    monkeypatch.setattr(claims_parsing, "_MAX_MALFORMED", 2)
    path = write_extract(tmp_path / "in.csv", ["a;b;c"] * 3 + [claim()])
    with pytest.raises(InputError) as err:
        parse_extract(layout_of(path), tmp_path, secret=SECRET)
    assert str(err.value).startswith(
        f"{path}: more than 2 lines have a number of fields other than the header's (the first "
        "is line 2)"
    )
