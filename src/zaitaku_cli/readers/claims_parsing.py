"""Parse a claims extract into Parquet parts, in parallel, with its line bookkeeping.

Each worker (worker_pool) decodes its part (claims_decoding) and streams it into Arrow's CSV
reader, writing Parquet: the file's fields as text, each row with its place among the part's
rows, from which the ingest tells its line (line_shifts, part_offsets). 被保険者番号 is hashed
into a person key in the worker, before anything reaches disk. A line with the wrong number of
fields is set aside with its line number and its shape, never its text.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa

from zaitaku_cli.arrow_arrays import int64_range
from zaitaku_cli.errors import InputError
from zaitaku_cli.i18n import t
from zaitaku_cli.progress import NoProgress, Progress
from zaitaku_cli.readers.claims_decoding import (
    BLOCK_BYTES,
    DecodedExtract,
    Streamed,
    decoded,
    decodes_after_split,
    from_transport,
    part_jobs,
    settled_encoding,
    utf8_blocks,
)
from zaitaku_cli.readers.claims_extract import ExtractLayout
from zaitaku_cli.readers.worker_pool import Report, WorkerFailed, run_jobs

__all__ = [
    "SHAPE_CHARS",
    "SHAPE_OTHER",
    "MalformedLine",
    "ParsedExtract",
    "parse_extract",
    "parse_range",
    "shape",
]

# More lines than this with the wrong number of fields refuse the file outright.
_MAX_MALFORMED = 100_000


# -- shapes: what a reject may keep of a field -------------------------------------------------
# A claims line that is rejected keeps no value of the file, only its shape: ASCII digits become
# '#', ASCII letters 'a', the separators of dates and codes (space . / : -) stay, any other
# character becomes '*'; a field longer than SHAPE_CHARS shows that many and '…'. Why no value:
# the person key (被保険者番号) has no known form — KDB exports an encrypted key, 国保 numbers can
# be a few digits — so no text of a line can be proved not to be someone's key once the line's
# columns are in doubt (a shifted line, or a swapped column of a well-formed one). A shape
# still tells the analyst what kind of text was there (a 10-digit number in 性別, a 和暦 month
# 'a##.##'); the line number points to the value in their own copy of the file.
SHAPE_CHARS = 24
_SHAPE_LINE_CHARS = 400  # a whole malformed line's shape, fields joined
_SHAPE_KEPT = " ./:-"
SHAPE_OTHER = re.compile(r"[^#a ./:-]")  # what becomes '*'


def shape(value: str) -> str:
    """The shape of one field (see above); claims_raw_view.shape_sql computes the same in SQL."""
    head = value[:SHAPE_CHARS]
    head = re.sub(r"[0-9]", "#", head)
    head = re.sub(r"[A-Za-z]", "a", head)
    return SHAPE_OTHER.sub("*", head) + ("…" if len(value) > SHAPE_CHARS else "")


class MalformedLine(NamedTuple):
    """A line whose number of fields is not the header's: where, how many, and its shape."""

    line: int  # in the input (header = 1); the first line of a row an open quote ran on
    fields: int  # as Python's csv module splits it (by the delimiter alone when it cannot)
    shape: str  # every field shaped (see shape), joined by the file's delimiter


def _malformed_shape(text: str, delimiter: str) -> tuple[int, str]:
    """(fields, shape) of a malformed line: the place of the person key cannot be told, so every
    field is shaped."""
    try:
        fields = next(csv.reader([text], delimiter=delimiter), [])
    except csv.Error:  # e.g. a field beyond the csv module's size limit: count roughly
        fields = text.split(delimiter)
    joined = delimiter.join(shape(f) for f in fields)
    if len(joined) > _SHAPE_LINE_CHARS:
        joined = joined[:_SHAPE_LINE_CHARS] + "…"
    return len(fields), joined


class _BlockStream(io.RawIOBase):
    """A read-only stream over an iterator of byte blocks, ending with a line end: what Arrow's
    CSV reader reads a part from, without a copy of it on disk."""

    def __init__(self, blocks: Iterator[bytes]) -> None:
        self._blocks = blocks
        self._left = memoryview(b"")
        self._last = b"\n"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._left:
            block = next(self._blocks, None)
            if block is None:
                if self._last == b"\n":
                    return 0
                # an unterminated last line (or a header alone) still ends a row
                block = b"\n"
            if block:
                self._last = block[-1:]
                self._left = memoryview(block)
        n = min(len(buffer), len(self._left))
        buffer[:n] = self._left[:n]
        self._left = self._left[n:]
        return n


# -- columnar parts ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ParsedExtract:
    """The extract as Parquet parts, one per decoded part, and what reading it found.

    Each part holds the file's fields as text, c1…cN in header order (empty fields are '', never
    null), and row_index, the row's place among the part's well-formed rows. Lines whose number
    of fields is not the header's are no rows: they are in `malformed`, with their line and
    shape (no text of theirs: see shape).
    """

    decoded: DecodedExtract  # encoding, lines, blank lines, part line offsets
    paths: tuple[Path, ...]  # the Parquet parts, in file order
    rows: int  # well-formed rows
    malformed: list[MalformedLine]  # in line order
    merged_lines: int  # lines swallowed into a malformed row by an open quote
    # (part, first row_index after a malformed row, lines to add from there on)
    line_shifts: tuple[tuple[int, int, int], ...]
    decode_seconds: float  # the slowest part's decoding (parts decode in parallel)

    @property
    def quoted_line_breaks(self) -> bool:
        """Some well-formed row spans lines (a quoted field holds a line break)."""
        spanned = self.rows + len(self.malformed) + self.merged_lines
        return self.decoded.lines - 1 > spanned

    @property
    def decode_mb_per_s(self) -> float:
        return self.decoded.bytes_read / 1e6 / self.decode_seconds if self.decode_seconds else 0.0


def parse_range(
    src: str,
    start: int,
    end: int,
    dst: str,
    encoding: str,
    filler: str,
    header: str,
    delimiter: str,
    n_columns: int,
    person_columns: list[str],
    block_bytes: int = BLOCK_BYTES,
    *,
    secret: bytes,
    report: Report | None = None,
) -> tuple[int, int, bool, float, int, list[tuple[int, int, int, str]]]:
    """Bytes [start, end) of `src` decoded and parsed into Parquet `dst`.

    Returns (newlines, blank lines, replaced, decode seconds, rows, malformed), malformed being
    (record number in the part, lines spanned, fields, shape of the first line) of rows whose
    field count is not n_columns: the text of such a line never leaves the worker. Columns in
    `person_columns` (the 被保険者番号) are written as person keys, hashed with `secret` (see
    person_keys): the raw number never reaches the part. Having nearly one value per row, they
    are stored without a dictionary.
    CP932 is decoded after the split into fields, once per distinct non-ASCII value of a column
    (a few dozen 市町村名 or 和暦 months), not byte by byte: the bytes travel as Latin-1 text
    until then (see claims_decoding.utf8_blocks). Runs in worker processes: plain, JSON-able
    arguments only (and `report`, see worker_pool.run_jobs).
    """
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    from zaitaku_cli.person_keys import PersonKeyHasher

    transport = decodes_after_split(encoding, delimiter)
    found = Streamed()
    blocks = utf8_blocks(
        src, start, end, encoding, filler, header, transport, found, report, block_bytes
    )
    replaced = False
    decode_s = 0.0
    names = [f"c{i + 1}" for i in range(n_columns)]
    schema = pa.schema([*((n, pa.string()) for n in names), ("row_index", pa.int64())])
    malformed: list[tuple[int, int, int, str]] = []

    def set_aside(row: Any) -> str:
        # with use_threads=False, row.number is the record's number in the part (header = 1);
        # a row an open quote ran on holds several lines: keep how many, and the first's shape
        if len(malformed) <= _MAX_MALFORMED:
            text = str(row.text).rstrip("\r\n")
            first, _, rest = text.partition("\n")
            if transport:
                first = first.encode("latin-1").decode(encoding, "replace")
            fields, shaped = _malformed_shape(first.rstrip("\r"), delimiter)
            span = rest.count("\n") + 2 if rest else 1
            malformed.append((int(row.number), span, fields, shaped))
        return "skip"

    rows = 0
    with (
        pq.ParquetWriter(
            dst,
            schema,
            compression="none",
            write_statistics=False,
            use_dictionary=[n for n in names if n not in person_columns],
        ) as writer,
        PersonKeyHasher(secret) as hashing,
    ):
        reader = pa_csv.open_csv(
            _BlockStream(blocks),
            read_options=pa_csv.ReadOptions(
                use_threads=False, block_size=8 << 20, column_names=names, skip_rows=1
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                # a quote left open then ends at the next block (8 MB), not at the end
                # of the file: memory stays bounded; the lines it swallowed are counted
                newlines_in_values=False,
                ignore_empty_lines=False,
                invalid_row_handler=set_aside,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        for batch in reader:
            columns = list(batch.columns)
            if transport:
                decoding = time.perf_counter()
                for i, column in enumerate(columns):
                    columns[i], bad = from_transport(column, encoding)
                    replaced = replaced or bad
                decode_s += time.perf_counter() - decoding
            for i, name in enumerate(names):
                if name in person_columns:
                    columns[i] = hashing.hash(columns[i])
            index = int64_range(rows, batch.num_rows)
            writer.write_batch(pa.record_batch([*columns, index], schema=schema))
            rows += batch.num_rows
    replaced = replaced or found.replaced
    return found.newlines, found.blank_lines, replaced, found.seconds + decode_s, rows, malformed


def _lines_of(
    malformed: list[tuple[int, int, int, str]],
) -> list[tuple[int, int, int, str]]:
    """(line in the part, lines spanned, fields, shape) of a part's malformed rows from (record
    number, lines spanned, fields, shape): a row before them spanning k lines moves the lines
    after it by k - 1."""
    found = []
    extra = 0
    for record, span, fields, shaped in sorted(malformed):
        found.append((record + extra, span, fields, shaped))
        extra += span - 1
    return found


def _shifts(part: int, lines: list[tuple[int, int, int, str]]) -> list[tuple[int, int, int]]:
    """(part, threshold, shift): row_index r of the part sits on line r + 2 + the shift of the
    largest threshold <= r, the malformed rows' lines being set aside before it."""
    shifts: dict[int, int] = {}
    spanned = 0
    for line, span, _, _ in lines:
        # rows before this one: every line from 2 to line - 1 not spanned by earlier ones
        shifts[line - 2 - spanned] = spanned + span  # equal thresholds: the later one
        spanned += span
    return [(part, threshold, shift) for threshold, shift in shifts.items()]


def parse_extract(
    layout: ExtractLayout,
    workdir: Path,
    *,
    secret: bytes,
    progress: Progress | None = None,
    workers: int | None = None,
    block_bytes: int | None = None,
) -> ParsedExtract:
    """The extract as Parquet parts under `workdir`: decoded and parsed in parallel processes.

    The 被保険者番号 column holds person keys, HMAC-SHA256 under `secret` (the warehouse's key):
    the parts, left behind if the process is killed, never hold a raw number.

    The file is cut at line starts into `workers` parts (default: one per CPU, from 32 MB a
    part). Each worker decodes its part block by block (claims_decoding), then parses it with
    Arrow's CSV reader into Parquet (strings dictionary-encoded, which DuckDB checks once per
    distinct value). Nothing holds more than a block of the file in memory. Raises InputError
    when more than 100,000 lines have the wrong number of fields (wrong delimiter or header).
    """
    if not secret:
        raise ValueError("parse_extract needs the warehouse's secret for person keys")
    progress = progress or NoProgress()
    encoding = settled_encoding(layout, progress)
    jobs = part_jobs(layout, workdir, encoding, workers, ".parquet")
    person = layout.position("person_id")
    person_columns = [f"c{person + 1}"] if person is not None else []
    progress.start(
        t("{file}: reading {encoding}", file=layout.path.name, encoding=encoding),
        total=layout.path.stat().st_size,
        unit="bytes",
    )
    block = block_bytes or BLOCK_BYTES
    try:
        results = run_jobs(
            parse_range,
            [(*job, layout.delimiter, len(layout.headers), person_columns, block) for job in jobs],
            progress,
            secret=secret,
        )
    except pa.ArrowException as exc:  # the one part read in this process
        raise _reading_failed(layout.path, [str(exc)]) from exc
    except WorkerFailed as exc:
        raise _reading_failed(layout.path, exc.failure) from exc
    progress.finish()
    counts = [(int(r[0]), int(r[1]), bool(r[2])) for r in results]
    found = decoded(layout, encoding, counts)

    malformed: list[MalformedLine] = []
    shifts: list[tuple[int, int, int]] = []
    merged = 0
    for part, (result, offset) in enumerate(zip(results, found.part_offsets, strict=True)):
        lines = _lines_of([(int(n), int(span), int(f), str(t)) for n, span, f, t in result[5]])
        malformed += [MalformedLine(line + offset, f, t) for line, _, f, t in lines]
        merged += sum(span - 1 for _, span, _, _ in lines)
        shifts += _shifts(part, lines)
    if len(malformed) > _MAX_MALFORMED:
        # Not worth loading, and each such line would be held in memory here: the delimiter or
        # the header is probably wrong.
        raise InputError(
            "more than {limit:,} lines have a number of fields other than the "
            "header's (the first is line {line})",
            file=layout.path,
            limit=_MAX_MALFORMED,
            line=min(malformed).line,
            hint="check the delimiter (mapping file: delimiter) and that the header names "
            "every column",
        )
    return ParsedExtract(
        decoded=found,
        paths=tuple(Path(job.dst) for job in jobs),
        rows=sum(int(r[4]) for r in results),
        malformed=sorted(malformed),
        merged_lines=merged,
        line_shifts=tuple(shifts),
        decode_seconds=max(float(r[3]) for r in results),
    )


def _reading_failed(path: Path, failure: list[str]) -> InputError:
    text = " ".join(failure)
    if "straddl" in text:
        # Arrow's words for a row longer than its block: say it the analyst's way
        return InputError(
            "a line is longer than 8 MB: this is not a claims extract with one claim line per "
            "line (line ends missing, or another kind of file)",
            file=path,
            hint="check that the file is the KDB extract and that its lines end with CR LF or LF",
        )
    return InputError(
        "reading failed ({reason})",
        file=path,
        reason=text or t("worker exited"),
        hint="check the delimiter, quotes and line ends (no line may exceed 8 MB), and the "
        "free space beside the warehouse",
    )
