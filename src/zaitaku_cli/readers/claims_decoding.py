"""Decode a claims extract to UTF-8, part by part and block by block.

The file is cut at line starts into parts (a CP932 trail byte is never 0x0A, so a cut at a line
end never cuts a character), each read block by block: no process holds more than a block of the
file. Blank lines become lines of empty fields, so that every later row keeps its line number.
CP932 with a delimiter that no CP932 byte can be (',', tab, ';') travels undecoded (as Latin-1
text) until the parser has split it into fields, then is decoded once per distinct value of a
column; other text is decoded block-wise (pure-ASCII blocks are copied as they are).
"""

from __future__ import annotations

import codecs
import itertools
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa

from zaitaku_cli.arrow_arrays import string_array
from zaitaku_cli.i18n import t
from zaitaku_cli.progress import Progress
from zaitaku_cli.readers import worker_pool
from zaitaku_cli.readers.claims_extract import ExtractLayout
from zaitaku_cli.readers.encoding import SAMPLE_BYTES, detect_encoding
from zaitaku_cli.readers.worker_pool import Report

__all__ = [
    "BLOCK_BYTES",
    "DecodedExtract",
    "PartJob",
    "Streamed",
    "decoded",
    "decodes_after_split",
    "from_transport",
    "part_jobs",
    "settled_encoding",
    "utf8_blocks",
]

BLOCK_BYTES = 16 << 20

# Delimiters that never occur inside a CP932 character (its trail bytes are 0x40–0xFC): with
# them the file's bytes can be split into fields before they are decoded. '|' (0x7C) can.
_SPLIT_BEFORE_DECODING = (",", "\t", ";")


def decodes_after_split(encoding: str, delimiter: str) -> bool:
    """Whether the bytes travel undecoded (Latin-1) until split into fields (see from_transport)."""
    return encoding == "cp932" and delimiter in _SPLIT_BEFORE_DECODING


@dataclass(frozen=True)
class DecodedExtract:
    """What decoding the extract's parts found out."""

    encoding: str  # encoding the input was read as: cp932 or utf-8
    lines: int  # physical lines, header included
    blank_lines: int  # read as rows of empty fields so that line numbers stay exact
    replaced: bool  # some bytes were not valid in `encoding` and became U+FFFD
    bytes_read: int
    workers: int = 1
    # line number in the input = line number in part i + part_offsets[i]
    part_offsets: tuple[int, ...] = (0,)


def _blocks(
    path: Path, start: int = 0, end: int | None = None, block_bytes: int = BLOCK_BYTES
) -> Iterator[bytes]:
    """Bytes [start, end) of the file in newline-aligned blocks (all but the last end in \\n)."""
    carry = b""
    with path.open("rb") as fh:
        fh.seek(start)
        left = (end - start) if end is not None else None
        while left is None or left > 0:
            block = fh.read(block_bytes if left is None else min(block_bytes, left))
            if not block:
                break
            if left is not None:
                left -= len(block)
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                carry += block
                continue
            yield carry + block[:cut] if carry else block[:cut]
            carry = block[cut:]
    if carry:
        yield carry


_BLANK = re.compile(rb"(?:^|(?<=\n))\r?(?=\n)")
_BLANK_AFTER_A_LINE = re.compile(rb"\n\r?\n")


def _has_blank_line(block: bytes, first: bool) -> bool:
    # Blocks start at a line start; the very first line is the header and never blank here.
    # Either line end, as files pasted together from Windows and Unix mix them.
    return _BLANK_AFTER_A_LINE.search(block) is not None or (
        not first and (block.startswith(b"\n") or block.startswith(b"\r\n"))
    )


def _fill_blank_lines(block: bytes, filler: bytes) -> tuple[bytes, int]:
    """Blank lines → lines of empty fields: rows of their own (the checks skip them as blank), so
    that every later row keeps its line number."""
    filled, count = _BLANK.subn(lambda m: filler + m.group(0), block)
    return filled, count


@dataclass
class Streamed:
    """What streaming a byte range as UTF-8 found out, filled in as it goes."""

    newlines: int = 0
    blank_lines: int = 0  # filled with empty fields
    replaced: bool = False  # bytes not valid in the encoding became U+FFFD
    seconds: float = 0.0  # spent decoding (not reading)


def utf8_blocks(
    src: str,
    start: int,
    end: int,
    encoding: str,
    filler: str,
    header: str,
    transport: bool,
    found: Streamed,
    report: Report | None = None,
    block_bytes: int = BLOCK_BYTES,
) -> Iterator[bytes]:
    """Bytes [start, end) of `src`, newline-aligned, as UTF-8 blocks.

    A range that does not start the file gets `header` (the header line) first, so that each
    part is a CSV text of its own. With `transport`, non-ASCII bytes are not decoded but carried
    as Latin-1 characters (one per byte, 3× faster than CP932 decoding); from_transport decodes
    them later, once per distinct value. `report(bytes, lines)` hears of each block read.
    """
    fill = filler.encode("utf-8")
    if start > 0:
        yield header.encode("utf-8")
    first = start == 0
    for block in _blocks(Path(src), start=start, end=end, block_bytes=block_bytes):
        started = time.perf_counter()
        newlines = block.count(b"\n")
        if report is not None:
            report(len(block), newlines)
        if first and block.startswith(codecs.BOM_UTF8):
            block = block[len(codecs.BOM_UTF8) :]
        found.newlines += newlines
        if _has_blank_line(block, first):
            block, n = _fill_blank_lines(block, fill)
            found.blank_lines += n
        first = False
        if block.isascii():
            # The fast path: ASCII is the same bytes in CP932 and UTF-8.
            out = block
        elif transport:
            out = block.decode("latin-1").encode("utf-8")
        else:
            try:
                text = block.decode(encoding)
            except UnicodeDecodeError:
                # Strict first: it is faster, and bad bytes are rare.
                text = block.decode(encoding, "replace")
                found.replaced = True
            out = text.encode("utf-8")
        found.seconds += time.perf_counter() - started
        yield out


def from_transport(column: pa.Array, encoding: str) -> tuple[pa.Array, bool]:
    """A column whose non-ASCII bytes travelled as Latin-1 (see utf8_blocks), decoded once
    per distinct value; and whether some bytes were not valid in `encoding` (U+FFFD then)."""
    import pyarrow.compute as pa_compute

    if pa_compute.all(pa_compute.string_is_ascii(column)).as_py() is not False:
        return column, False
    encoded = pa_compute.dictionary_encode(column)
    values = []
    replaced = False
    for value in encoded.dictionary.to_pylist():
        raw = value.encode("latin-1")
        try:
            values.append(raw.decode(encoding))
        except UnicodeDecodeError:
            values.append(raw.decode(encoding, "replace"))
            replaced = True
    return pa_compute.take(string_array(values), encoded.indices), replaced


# -- parts -------------------------------------------------------------------------------------
def _line_ranges(path: Path, size: int, parts: int) -> list[tuple[int, int]]:
    """[start, end) byte ranges of about size/parts each, every one starting at a line start."""
    cuts = [0]
    with path.open("rb") as fh:
        for i in range(1, parts):
            fh.seek(size * i // parts)
            # A CP932 trail byte is never 0x0A: the byte after a newline starts a line.
            probe = fh.read(1 << 20)
            at = probe.find(b"\n")
            if at >= 0 and fh.tell() - len(probe) + at + 1 > cuts[-1]:
                cuts.append(fh.tell() - len(probe) + at + 1)
    cuts = [c for c in cuts if c < size] + [size]
    return list(itertools.pairwise(cuts))


class PartJob(NamedTuple):
    """One part of the extract as a worker reads it (plain values: they travel as JSON)."""

    source: str
    start: int  # byte range [start, end) of the source
    end: int
    dst: str  # the part file the worker writes
    encoding: str
    filler: str  # what a blank line becomes: a line of empty fields
    header: str  # the header line as in the file, line end included


def part_jobs(
    layout: ExtractLayout, workdir: Path, encoding: str, workers: int | None, suffix: str
) -> list[PartJob]:
    """The parts of the extract, `workers` of them (default: worker_pool.workers_for)."""
    size = layout.path.stat().st_size
    ranges = _line_ranges(layout.path, size, workers or worker_pool.workers_for(size))
    # Each part repeats the header line as it is in the file, line end included, so that each
    # part is a CSV file of its own with one kind of line end.
    with layout.path.open("rb") as fh:
        first_line = fh.readline(SAMPLE_BYTES).removeprefix(codecs.BOM_UTF8)
    header = first_line.decode(encoding, "replace")
    filler = layout.delimiter * (len(layout.headers) - 1)
    return [
        PartJob(
            str(layout.path), start, end, str(workdir / f"part-{i:03d}{suffix}"), encoding,
            filler, header,
        )
        for i, (start, end) in enumerate(ranges)
    ]  # fmt: skip


def decoded(
    layout: ExtractLayout, encoding: str, counts: list[tuple[int, int, bool]]
) -> DecodedExtract:
    """What decoding the parts found, from each part's (newlines, blank lines, replaced)."""
    size = layout.path.stat().st_size
    with layout.path.open("rb") as fh:
        fh.seek(max(0, size - 1))
        unterminated = size > 0 and fh.read(1) != b"\n"
    return DecodedExtract(
        encoding=encoding,
        lines=sum(c[0] for c in counts) + (1 if unterminated else 0),
        blank_lines=sum(c[1] for c in counts),
        replaced=any(c[2] for c in counts),
        bytes_read=size,
        workers=len(counts),
        part_offsets=tuple(
            # part i > 0 holds input lines from (newlines before it) + 1 on, after its header
            sum(c[0] for c in counts[:i]) - 1 if i else 0
            for i in range(len(counts))
        ),
    )


# -- encoding ----------------------------------------------------------------------------------
def settled_encoding(layout: ExtractLayout, progress: Progress) -> str:
    """The encoding to decode with: the layout's, unless its sample was all ASCII; then the
    first non-ASCII block of the file tells (an English header and a first megabyte of ASCII
    tell nothing), and a file that is ASCII throughout is read as UTF-8."""
    if layout.encoding != "ascii":
        return layout.encoding
    progress.start(
        t("{file}: checking text", file=layout.path.name),
        total=layout.path.stat().st_size,
        unit="bytes",
    )
    encoding = "utf-8"
    for block in _blocks(layout.path):
        progress.advance(len(block), lines=block.count(b"\n"))
        if not block.isascii():
            detected = detect_encoding(block, file=layout.path)
            encoding = "cp932" if detected == "cp932" else "utf-8"
            break
    progress.finish()
    return encoding
