"""Claims extracts decoded to UTF-8: the encoding settled while streaming, blank lines kept as
rows, parts that each start at a line and with the header."""

from __future__ import annotations

import itertools
from pathlib import Path

from factories.claims import GOOD, claim, write_extract
from zaitaku_cli.progress import NoProgress
from zaitaku_cli.readers.claims_decoding import (
    PartJob,
    Streamed,
    part_jobs,
    settled_encoding,
    utf8_blocks,
)
from zaitaku_cli.readers.claims_extract import ClaimsMapping, ExtractLayout, read_layout


def layout_of(path: Path, encoding: str = "auto") -> ExtractLayout:
    return read_layout(path, ClaimsMapping(), encoding=encoding)


def text_of(job: PartJob, found: Streamed | None = None) -> str:
    """The part as the parser reads it, decoded block by block (no transport)."""
    blocks = utf8_blocks(
        job.source, job.start, job.end, job.encoding, job.filler, job.header, False,
        found or Streamed(), block_bytes=4 << 10,
    )  # fmt: skip
    return b"".join(blocks).decode("utf-8")


def the_part(path: Path, encoding: str, tmp_path: Path) -> PartJob:
    [job] = part_jobs(layout_of(path, encoding), tmp_path, encoding, 1, ".parquet")
    return job


ENGLISH = [
    "insurer_no", "person_id", "sex", "age", "municipality_code", "municipality_name",
    "service_month", "inout", "facility_code", "procedure_code", "times",
]  # fmt: skip


def test_cp932_is_decoded_to_utf8(tmp_path: Path) -> None:
    path = write_extract(tmp_path / "a.csv", [claim(), claim(市町村名="宮古市")])
    assert settled_encoding(layout_of(path), NoProgress()) == "cp932"
    found = Streamed()
    assert text_of(the_part(path, "cp932", tmp_path), found) == path.read_bytes().decode("cp932")
    assert (found.newlines, found.blank_lines, found.replaced) == (3, 0, False)


def test_ascii_header_then_cp932_rows_are_found_while_streaming(tmp_path: Path) -> None:
    # An English header and a first megabyte of ASCII tell nothing: the encoding is settled at
    # the first non-ASCII block.
    header = ENGLISH
    ascii_rows = [
        dict(zip(header, GOOD.values(), strict=True)) | {"municipality_name": ""}
    ] * 20_000
    japanese = dict(zip(header, GOOD.values(), strict=True))
    path = write_extract(tmp_path / "late.csv", [*ascii_rows, japanese], header=header)
    assert path.stat().st_size > 1 << 20
    layout = layout_of(path)
    assert layout.encoding == "ascii"
    assert settled_encoding(layout, NoProgress()) == "cp932"
    assert text_of(the_part(path, "cp932", tmp_path)).endswith(
        "盛岡市,202304,2,0311234567,114001110,1\r\n"
    )


def test_ascii_throughout_is_read_as_utf8(tmp_path: Path) -> None:
    row = dict(zip(ENGLISH, GOOD.values(), strict=True)) | {"municipality_name": ""}
    path = write_extract(tmp_path / "a.csv", [row], header=ENGLISH)
    layout = layout_of(path)
    assert layout.encoding == "ascii"
    assert settled_encoding(layout, NoProgress()) == "utf-8"


def test_blank_lines_become_empty_rows(tmp_path: Path) -> None:
    # A blank line is no row for a CSV reader, which would shift every later line number: blank
    # lines are written as rows of empty fields instead (10 commas for 11 columns).
    path = write_extract(tmp_path / "b.csv", ["", claim(), "", ""], encoding="utf-8", line_end="\n")
    found = Streamed()
    text = text_of(the_part(path, "utf-8", tmp_path), found).split("\n")
    assert (found.blank_lines, found.newlines) == (3, 5)
    assert text[1] == "," * 10 and text[3] == "," * 10 and text[4] == "," * 10


def test_bytes_invalid_in_the_encoding_are_replaced(tmp_path: Path) -> None:
    path = write_extract(tmp_path / "x.csv", [claim()])
    # 0x81 0x20 is no CP932 character: the byte pair becomes U+FFFD, the row is rejected later
    path.write_bytes(
        path.read_bytes() + b"39030000,P2,2,82,032018,\x81\x20,202304,2,0311234567,114001110,1\r\n"
    )
    found = Streamed()
    assert "\ufffd" in text_of(the_part(path, "cp932", tmp_path), found)
    assert found.replaced


def test_parts_start_at_lines_and_decode_to_the_same_text(tmp_path: Path) -> None:
    rows: list[dict[str, str] | str] = [
        claim(被保険者番号=f"P{i:09d}", 市町村名="宮古市") for i in range(300)
    ]
    rows[150] = ""  # a blank line inside some part
    path = write_extract(tmp_path / "a.csv", rows)
    jobs = part_jobs(layout_of(path), tmp_path, "cp932", 3, ".parquet")
    assert [Path(j.dst).name for j in jobs] == [f"part-00{i}.parquet" for i in range(3)]
    assert jobs[0].start == 0 and jobs[-1].end == path.stat().st_size
    assert all(a.end == b.start for a, b in itertools.pairwise(jobs))
    parts = [text_of(job) for job in jobs]
    header, _, _ = parts[0].partition("\r\n")
    # every part starts with the header line (the reader skips it in each), in the file's line
    # ends
    assert all(part.startswith(header + "\r\n") for part in parts)
    joined = parts[0] + "".join(part.removeprefix(header + "\r\n") for part in parts[1:])
    expected = path.read_bytes().decode("cp932").replace("\r\n\r\n", "\r\n" + "," * 10 + "\r\n")
    assert joined == expected
