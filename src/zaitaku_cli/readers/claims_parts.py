"""Read the lines of a KDB-style claim extract into columnar (Parquet) parts that DuckDB then
checks in parallel.

The file is cut at line starts into parts (a CP932 trail byte is never 0x0A, so a cut at a line
end never cuts a character), one worker process per part. A worker streams its part block by
block into Arrow's CSV reader and writes Parquet, each row with its place, from which DuckDB
tells its line. CP932 with a delimiter that no CP932 byte can be (',', tab, ';') is split into
fields first and decoded once per distinct non-ASCII value of a column; other text is decoded
block-wise to UTF-8 (pure-ASCII blocks are copied as they are). No process holds more than a
block of the file in memory. prepare_utf8 stops after decoding, for readers that want UTF-8 CSV
(the benchmark's baseline).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import pyarrow as pa

from zaitaku_cli.arrow_arrays import int64_range, string_array
from zaitaku_cli.errors import InputError
from zaitaku_cli.i18n import t
from zaitaku_cli.progress import NoProgress, Progress
from zaitaku_cli.readers.claims_extract import DELIMITERS, ExtractLayout, canonical_columns
from zaitaku_cli.readers.encoding import SAMPLE_BYTES, detect_encoding

__all__ = [
    "MalformedLine",
    "ParsedExtract",
    "PreparedExtract",
    "create_raw_view",
    "parse_extract",
    "prepare_utf8",
    "shape",
    "shape_sql",
]

# More lines than this with the wrong number of fields refuse the file outright.
_MAX_MALFORMED = 100_000
_BLOCK_BYTES = 16 << 20
_MIN_PART_BYTES = 32 << 20
_MAX_WORKERS = 8

# report(bytes read, lines read) as a worker reads its part: how the progress bar moves
Report = Callable[[int, int], None]


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
_SHAPE_OTHER = re.compile(r"[^#a ./:-]")


def shape(value: str) -> str:
    """The shape of one field (see above); shape_sql computes the same in SQL."""
    head = value[:SHAPE_CHARS]
    head = re.sub(r"[0-9]", "#", head)
    head = re.sub(r"[A-Za-z]", "a", head)
    return _SHAPE_OTHER.sub("*", head) + ("…" if len(value) > SHAPE_CHARS else "")


def shape_sql(expr: str) -> str:
    """SQL for the shape of the varchar `expr` (an internal column name: never a value)."""
    head = f"left({expr}, {SHAPE_CHARS})"
    digits = f"regexp_replace({head}, '[0-9]', '#', 'g')"
    letters = f"regexp_replace({digits}, '[A-Za-z]', 'a', 'g')"
    other = f"regexp_replace({letters}, '{_SHAPE_OTHER.pattern}', '*', 'g')"
    return f"({other} || case when length({expr}) > {SHAPE_CHARS} then '…' else '' end)"


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


# -- UTF-8 copy --------------------------------------------------------------------------------
@dataclass(frozen=True)
class PreparedExtract:
    """The UTF-8 text DuckDB reads, and what streaming the input found out."""

    paths: tuple[Path, ...]  # in file order, each starting with the header line; the input
    # itself when it already was clean UTF-8
    encoding: str  # encoding the input was read as: cp932 or utf-8
    transcoded: bool
    lines: int  # physical lines, header included
    blank_lines: int  # rewritten as rows of empty fields so that line numbers stay exact
    replaced: bool  # some bytes were not valid in `encoding` and became U+FFFD
    bytes_read: int
    seconds: float  # wall time of the streaming pass(es)
    workers: int = 1
    # line number in the input = line number in part i + part_offsets[i]
    part_offsets: tuple[int, ...] = (0,)

    @property
    def mb_per_s(self) -> float:
        return self.bytes_read / 1e6 / self.seconds if self.seconds else 0.0


def _blocks(
    path: Path, start: int = 0, end: int | None = None, block_bytes: int = _BLOCK_BYTES
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
class _Streamed:
    """What streaming a byte range as UTF-8 found out, filled in as it goes."""

    newlines: int = 0
    blank_lines: int = 0  # filled with empty fields
    replaced: bool = False  # bytes not valid in the encoding became U+FFFD
    seconds: float = 0.0  # spent decoding (not reading)


def _utf8_blocks(
    src: str,
    start: int,
    end: int,
    encoding: str,
    filler: str,
    header: str,
    transport: bool,
    found: _Streamed,
    report: Report | None = None,
    block_bytes: int = _BLOCK_BYTES,
) -> Iterator[bytes]:
    """Bytes [start, end) of `src`, newline-aligned, as UTF-8 blocks.

    A range that does not start the file gets `header` (the header line) first, so that each
    part is a CSV text of its own. With `transport`, non-ASCII bytes are not decoded but carried
    as Latin-1 characters (one per byte, 3× faster than CP932 decoding); _from_transport decodes
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


def _transcode_range(
    src: str,
    start: int,
    end: int,
    dst: str,
    encoding: str,
    filler: str,
    header: str,
    block_bytes: int = _BLOCK_BYTES,
    *,
    report: Report | None = None,
) -> tuple[int, int, bool]:
    """Bytes [start, end) of `src` as a UTF-8 file `dst` (see _utf8_blocks).

    Returns (newlines, blank lines filled, whether bytes were replaced). Runs in worker
    processes: plain, JSON-able arguments only (and `report`, see _run_jobs).
    """
    found = _Streamed()
    blocks = _utf8_blocks(
        src, start, end, encoding, filler, header, False, found, report, block_bytes
    )
    with open(dst, "wb") as out:
        for block in blocks:
            out.write(block)
    return found.newlines, found.blank_lines, found.replaced


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


def _split(path: Path, size: int, parts: int) -> list[tuple[int, int]]:
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


def _workers_for(size: int) -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cpus = os.cpu_count() or 1
    # Starting a worker costs ~0.2 s (interpreter + imports): worth it from ~32 MB a part.
    return max(1, min(cpus, _MAX_WORKERS, size // _MIN_PART_BYTES))


# A worker is a fresh interpreter running one job function of this module: unlike
# multiprocessing's spawn, it never re-imports the caller's __main__, so library users need no
# `if __name__` guard. It leaves Ctrl-C to its parent (which stops it; the terminal sends
# SIGINT to the whole group) and exits as soon as its parent is gone (SIGKILL), so that no
# orphan goes on writing beside the warehouse.
# It tells its progress as it reads, one line per block on stdout ("progress BYTES LINES"), and
# its result as the last line (JSON). The HMAC secret of person keys comes on stdin (hex, one
# line; empty for jobs without one), never on the command line, which other users can read.
_WORKER = (
    "import json, os, signal, sys, threading, time\n"
    "secret = bytes.fromhex(sys.stdin.readline().strip())\n"
    "sys.stdin.close()\n"
    "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "def _watch(parent):\n"
    "    while os.getppid() == parent:\n"
    "        time.sleep(0.2)\n"
    "    os._exit(1)\n"
    "threading.Thread(target=_watch, args=(int(sys.argv[3]),), daemon=True).start()\n"
    "def _report(done, lines):\n"
    "    sys.stdout.write(f'progress {done} {lines}\\n')\n"
    "    sys.stdout.flush()\n"
    "from zaitaku_cli.readers import claims_parts\n"
    "job = getattr(claims_parts, sys.argv[1])\n"
    "kwargs = {'secret': secret} if secret else {}\n"
    "print(json.dumps(job(*json.loads(sys.argv[2]), report=_report, **kwargs)))\n"
)
_PROGRESS = b"progress "
_JOBS = ("_transcode_range", "_parse_range")


def _run_jobs(
    path: Path,
    job: str,
    jobs: list[tuple[Any, ...]],
    progress: Progress,
    *,
    secret: bytes = b"",
) -> list[Any]:
    """Run `job` (a function of this module) once per argument tuple, each in its own process
    (one job runs here), and return the results in order. Progress advances by the bytes and
    lines each job reports as it reads a block, so that the bar moves while the parts are read,
    not as each one ends. However this ends — an error, an interrupt — no worker outlives it.
    A `secret` is handed to each job as its `secret` argument (through the worker's stdin)."""
    assert job in _JOBS, job
    kwargs = {"secret": secret} if secret else {}

    def advance(done: int, lines: int) -> None:
        progress.advance(done, lines=lines)

    if len(jobs) == 1:
        # Small files (and one-CPU machines) are done in this process.
        try:
            result = globals()[job](*jobs[0], report=advance, **kwargs)
        except pa.ArrowException as exc:
            raise _reading_failed(path, [str(exc)]) from exc
        return [json.loads(json.dumps(result))]
    package_root = str(Path(__file__).resolve().parents[2])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p),
    }
    procs: list[subprocess.Popen[bytes]] = []
    errors: list[Any] = []  # each worker's stderr, kept in a file: its last line says why
    heard: queue.Queue[tuple[int, bytes | None]] = queue.Queue()
    printed: list[list[bytes]] = [[] for _ in jobs]
    results = []
    failure = None
    files = contextlib.ExitStack()
    try:
        for i, args in enumerate(jobs):
            err = tempfile.TemporaryFile()  # noqa: SIM115 (closed by `files`, however this ends)
            errors.append(files.enter_context(err))
            proc = subprocess.Popen(
                [sys.executable, "-c", _WORKER, job, json.dumps(args), str(os.getpid())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors[-1],
                env=env,
            )
            procs.append(proc)
            assert proc.stdin is not None
            with contextlib.suppress(BrokenPipeError):  # a worker that died at start: see below
                proc.stdin.write(secret.hex().encode("ascii") + b"\n")
                proc.stdin.close()
            threading.Thread(target=_listen, args=(i, proc.stdout, heard), daemon=True).start()
        talking = len(jobs)
        while talking:
            try:
                i, line = heard.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                talking -= 1
            elif line.startswith(_PROGRESS):
                done, lines = line[len(_PROGRESS) :].split()
                advance(int(done), int(lines))
            else:
                printed[i].append(line)
        for proc, said, err in zip(procs, printed, errors, strict=True):
            if proc.wait() != 0:
                err.seek(0)
                text = err.read().decode("utf-8", "replace").strip()
                failure = failure or text.splitlines()[-1:]
                continue
            results.append(json.loads(b"".join(said)))
    finally:
        _stop(procs)
        files.close()
    if failure is not None:
        raise _reading_failed(path, failure)
    return results


def _listen(index: int, stream: Any, heard: queue.Queue[tuple[int, bytes | None]]) -> None:
    """Hand each line worker `index` prints to the parent's loop; None when it is done."""
    try:
        for line in stream:
            heard.put((index, line))
    except (OSError, ValueError):  # the stream closed under us: the run is being stopped
        pass
    heard.put((index, None))


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Kill the workers still running and reap them all (their parts are scratch anyway)."""
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
    for proc in procs:
        proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


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


def _settled_encoding(layout: ExtractLayout, progress: Progress) -> tuple[str, _Scan | None]:
    """The encoding to decode with; for UTF-8 (or still-undecided ASCII) input, also the scan
    that settled it."""
    if layout.encoding not in ("utf-8", "ascii"):
        return layout.encoding, None
    progress.start(
        t("{file}: checking text", file=layout.path.name),
        total=layout.path.stat().st_size,
        unit="bytes",
    )
    scan = _scan(layout, progress)
    progress.finish()
    return scan.encoding, scan


def _part_jobs(
    layout: ExtractLayout, workdir: Path, encoding: str, workers: int | None, suffix: str
) -> list[tuple[str, int, int, str, str, str, str]]:
    """(source, start, end, part file, encoding, blank-line filler, header) per part."""
    size = layout.path.stat().st_size
    ranges = _split(layout.path, size, workers or _workers_for(size))
    # Each part repeats the header line as it is in the file, line end included, so that each
    # part is a CSV file of its own with one kind of line end.
    with layout.path.open("rb") as fh:
        first_line = fh.readline(SAMPLE_BYTES).removeprefix(codecs.BOM_UTF8)
    header = first_line.decode(encoding, "replace")
    filler = layout.delimiter * (len(layout.headers) - 1)
    return [
        (str(layout.path), start, end, str(workdir / f"part-{i:03d}{suffix}"), encoding, filler,
         header)
        for i, (start, end) in enumerate(ranges)
    ]  # fmt: skip


def _decoded(
    layout: ExtractLayout,
    encoding: str,
    jobs: list[tuple[str, int, int, str, str, str, str]],
    counts: list[tuple[int, int, bool]],
    started: float,
) -> PreparedExtract:
    """What decoding the parts found, from each part's (newlines, blank lines, replaced)."""
    size = layout.path.stat().st_size
    with layout.path.open("rb") as fh:
        fh.seek(max(0, size - 1))
        unterminated = size > 0 and fh.read(1) != b"\n"
    return PreparedExtract(
        paths=tuple(Path(job[3]) for job in jobs),
        encoding=encoding,
        transcoded=True,
        lines=sum(c[0] for c in counts) + (1 if unterminated else 0),
        blank_lines=sum(c[1] for c in counts),
        replaced=any(c[2] for c in counts),
        bytes_read=size,
        seconds=time.perf_counter() - started,
        workers=len(jobs),
        part_offsets=tuple(
            # part i > 0 holds input lines from (newlines before it) + 1 on, after its header
            sum(c[0] for c in counts[:i]) - 1 if i else 0
            for i in range(len(counts))
        ),
    )


def prepare_utf8(
    layout: ExtractLayout,
    workdir: Path,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    block_bytes: int | None = None,
) -> PreparedExtract:
    """The extract as UTF-8 CSV part files under `workdir`, decoded in parallel processes.

    UTF-8 input that is valid and has no blank lines is used in place (one read-only pass).
    CPython's CP932 codec runs at ~150 MB/s on one core and holds the GIL, so large files are
    cut at line starts and decoded by `workers` processes (default: one per CPU, from 32 MB a
    part), each writing its own part. Bytes invalid in the encoding become U+FFFD, and the rows
    holding them are rejected later, so one bad byte does not refuse a whole extract.
    """
    progress = progress or NoProgress()
    started = time.perf_counter()
    encoding, scan = _settled_encoding(layout, progress)
    if scan is not None and scan.clean:
        return PreparedExtract(
            paths=(layout.path,),
            encoding="utf-8",
            transcoded=False,
            lines=scan.lines,
            blank_lines=0,
            replaced=False,
            bytes_read=layout.path.stat().st_size,
            seconds=time.perf_counter() - started,
        )
    jobs = _part_jobs(layout, workdir, encoding, workers, ".csv")
    progress.start(
        t("{file}: decoding {encoding}", file=layout.path.name, encoding=encoding),
        total=layout.path.stat().st_size,
        unit="bytes",
    )
    block = block_bytes or _BLOCK_BYTES
    results = _run_jobs(layout.path, "_transcode_range", [(*j, block) for j in jobs], progress)
    progress.finish()
    counts = [(int(r[0]), int(r[1]), bool(r[2])) for r in results]
    return _decoded(layout, encoding, jobs, counts, started)


@dataclass(frozen=True)
class _Scan:
    clean: bool
    encoding: str
    lines: int


def _scan(layout: ExtractLayout, progress: Progress) -> _Scan:
    """Check UTF-8 (or still-undecided ASCII) input: valid, no blank lines, how many lines."""
    encoding = layout.encoding
    lines = 0
    clean = True
    first = True
    utf8 = codecs.getincrementaldecoder("utf-8")()
    for block in _blocks(layout.path):
        newlines = block.count(b"\n")
        progress.advance(len(block), lines=newlines)
        lines += newlines + (0 if block.endswith(b"\n") else 1)
        if _has_blank_line(block, first):
            clean = False
        first = False
        if block.isascii():
            continue
        if encoding == "ascii":
            # First non-ASCII bytes: now the encoding can be told.
            detected = detect_encoding(block, file=layout.path)
            encoding = "cp932" if detected == "cp932" else "utf-8"
            if encoding == "cp932":
                return _Scan(clean=False, encoding="cp932", lines=0)
        try:
            utf8.decode(block)
        except UnicodeDecodeError:
            clean = False
    return _Scan(clean=clean, encoding="utf-8" if encoding == "ascii" else encoding, lines=lines)


# -- columnar parts ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ParsedExtract:
    """The extract as Parquet parts, one per decoded part, and what reading it found.

    Each part holds the file's fields as text, c1…cN in header order (empty fields are '', never
    null), and row_index, the row's place among the part's well-formed rows. Lines whose number
    of fields is not the header's are no rows: they are in `malformed`, with their line and
    shape (no text of theirs: see shape).
    """

    decoded: PreparedExtract  # encoding, lines, blank lines, part line offsets (its CSV parts
    # are gone)
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


# Delimiters that never occur inside a CP932 character (its trail bytes are 0x40–0xFC): with
# them the file's bytes can be split into fields before they are decoded. '|' (0x7C) can.
_SPLIT_BEFORE_DECODING = (",", "\t", ";")


def _parse_range(
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
    block_bytes: int = _BLOCK_BYTES,
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
    until then (see _utf8_blocks). Runs in worker processes: plain, JSON-able
    arguments only (and `report`, see _run_jobs).
    """
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    from zaitaku_cli.person_keys import PersonKeyHasher

    transport = encoding == "cp932" and delimiter in _SPLIT_BEFORE_DECODING
    found = _Streamed()
    blocks = _utf8_blocks(
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
                    columns[i], bad = _from_transport(column, encoding)
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


def _from_transport(column: pa.Array, encoding: str) -> tuple[pa.Array, bool]:
    """A column whose non-ASCII bytes travelled as Latin-1 (see _utf8_blocks), decoded once
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
    part). Each worker decodes its part block by block (as prepare_utf8), then parses it with
    Arrow's CSV reader into Parquet (strings dictionary-encoded, which DuckDB checks once per
    distinct value). Nothing holds more than a block of the file in memory. Raises InputError
    when more than 100,000 lines have the wrong number of fields (wrong delimiter or header).
    """
    if not secret:
        raise ValueError("parse_extract needs the warehouse's secret for person keys")
    progress = progress or NoProgress()
    started = time.perf_counter()
    encoding, _ = _settled_encoding(layout, progress)
    jobs = _part_jobs(layout, workdir, encoding, workers, ".parquet")
    person = layout.position("person_id")
    person_columns = [f"c{person + 1}"] if person is not None else []
    progress.start(
        t("{file}: reading {encoding}", file=layout.path.name, encoding=encoding),
        total=layout.path.stat().st_size,
        unit="bytes",
    )
    block = block_bytes or _BLOCK_BYTES
    results = _run_jobs(
        layout.path,
        "_parse_range",
        [(*job, layout.delimiter, len(layout.headers), person_columns, block) for job in jobs],
        progress,
        secret=secret,
    )
    progress.finish()
    counts = [(int(r[0]), int(r[1]), bool(r[2])) for r in results]
    decoded = _decoded(layout, encoding, jobs, counts, started)

    malformed: list[MalformedLine] = []
    shifts: list[tuple[int, int, int]] = []
    merged = 0
    for part, (result, offset) in enumerate(zip(results, decoded.part_offsets, strict=True)):
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
        decoded=decoded,
        paths=tuple(Path(job[3]) for job in jobs),
        rows=sum(int(r[4]) for r in results),
        malformed=sorted(malformed),
        merged_lines=merged,
        line_shifts=tuple(shifts),
        decode_seconds=max(float(r[3]) for r in results),
    )


# -- DuckDB ------------------------------------------------------------------------------------
def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def create_raw_view(
    con: duckdb.DuckDBPyConnection,
    layout: ExtractLayout,
    parsed: ParsedExtract,
    *,
    view: str = "raw_claim_lines",
) -> None:
    """Expose the Parquet parts under canonical names as `view`, with line_no and checks.

    Columns: line_no (the row's line in the input), is_blank, undecodable, raw_shape, one
    varchar per canonical column (null when the file lacks it) and its shape, <key>_shape (see
    shape). raw_shape is the row's fields in file order joined by the file's delimiter, each
    shaped, 被保険者番号 as '*' (not even its shape): what a reject keeps of its row. Shapes are
    computed only for the rows a query reads them from (the rejected ones). Only internal names
    (c1…, canonical keys), numbers, whitelisted delimiter literals and our own part paths reach
    the SQL text.
    """
    fields = [f"c{i + 1}" for i in range(len(layout.headers))]
    person = layout.position("person_id")
    assert person is not None
    delim = DELIMITERS[layout.delimiter]
    paths = "[" + ", ".join(_sql_text(str(p)) for p in parsed.paths) + "]"
    # line of row_index r in part i: r + 2 (header, 1-based) + the part's offset + the lines
    # of malformed rows before it
    offsets = parsed.decoded.part_offsets
    offset = (
        "case r.file_index "
        + " ".join(f"when {i} then {int(o)}" for i, o in enumerate(offsets))
        + " end"
        if any(offsets)
        else "0"
    )
    if parsed.line_shifts:
        con.register(
            "claims_line_shifts_input",
            pa.table(
                {
                    "part": [s[0] for s in parsed.line_shifts],
                    "threshold": [s[1] for s in parsed.line_shifts],
                    "shift": [s[2] for s in parsed.line_shifts],
                }
            ),
        )
        con.execute(
            "create or replace temp table claims_line_shifts as "
            "select part, threshold, shift from claims_line_shifts_input"
        )
        con.unregister("claims_line_shifts_input")
        shift = "coalesce(s.shift, 0)"
        source = (
            f"read_parquet({paths}) as r asof left join claims_line_shifts as s "
            "on s.part = r.file_index and r.row_index >= s.threshold"
        )
    else:
        shift = "0"
        source = f"read_parquet({paths}) as r"
    is_blank = " and ".join(f"r.{c} = ''" for c in fields)
    canonical = []
    for key in canonical_columns():
        pos = layout.position(key)
        # a column the extract lacks is a typed null: Spark's ANSI mode refuses an untyped one
        canonical.append(
            f"r.{fields[pos]} as {key}" if pos is not None else f"cast(null as varchar) as {key}"
        )
        canonical.append(
            f"{shape_sql('r.' + fields[pos])} as {key}_shape"
            if pos is not None and key != "person_id"
            else f"cast(null as varchar) as {key}_shape"
        )
    undecodable = (
        f"strpos(concat_ws('', {', '.join('r.' + c for c in fields)}), chr(65533)) > 0"
        if parsed.decoded.replaced
        else "false"
    )
    shapes = [
        f"case when r.{c} = '' then '' else '*' end" if i == person else shape_sql(f"r.{c}")
        for i, c in enumerate(fields)
    ]
    con.execute(
        f"""
        create or replace temp view {view} as
        select
            r.row_index + 2 + {offset} + {shift} as line_no,
            {is_blank} as is_blank,
            {undecodable} as undecodable,
            concat_ws({delim}, {", ".join(shapes)}) as raw_shape,
            {", ".join(canonical)}
        from {source}
        """
    )
