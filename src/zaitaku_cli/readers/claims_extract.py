"""Read KDB-style claim extracts: headers → canonical columns, mapping files, and a streamed
UTF-8 copy of CP932 files that DuckDB's parallel CSV reader then loads as raw text.

The canonical columns and their header aliases are data (claims_columns.toml). Decoding is
block-wise on newline-aligned blocks (a CP932 trail byte is never 0x0A, so a split at a line
end never cuts a character), in parallel worker processes for large files; pure-ASCII blocks
are copied as they are. No process holds more than one block of the file in memory.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import json
import os
import re
import subprocess
import sys
import time
import tomllib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from zaitaku_cli.errors import EncodingDetectionError, InputError
from zaitaku_cli.progress import NoProgress, Progress
from zaitaku_cli.readers.encoding import SAMPLE_BYTES, detect_encoding

__all__ = [
    "COLUMNS_FILE",
    "DELIMITERS",
    "CanonicalColumn",
    "ClaimsMapping",
    "ExtractLayout",
    "PreparedExtract",
    "RawLoad",
    "canonical_columns",
    "create_raw_view",
    "load_raw",
    "normalize_header",
    "prepare_utf8",
    "read_layout",
    "read_mapping",
]

COLUMNS_FILE = Path(__file__).with_name("claims_columns.toml")

# Delimiters we accept, with the SQL expression that stands for each in generated view text
# (a fixed whitelist, so no value from the file is ever formatted into SQL).
DELIMITERS = {",": "','", "\t": "chr(9)", ";": "';'", "|": "'|'"}
_DELIMITER_NAMES = {"comma": ",", "tab": "\t", "\\t": "\t", "semicolon": ";", "pipe": "|"}

_ENCODING_NAMES = {
    "auto": "auto",
    "cp932": "cp932",
    "ms932": "cp932",
    "windows-31j": "cp932",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8",
}

# One spare column tells a row with surplus fields from a full one; rows with more surplus
# fall to DuckDB's own reject table (load_raw maps them back to their lines). Each column of
# the raw table costs memory on every row, so there is only one.
_SPARE_FIELDS = 1
# More lines than this that DuckDB cannot split refuse the file outright.
_MAX_MALFORMED = 100_000
_BLOCK_BYTES = 16 << 20
_MIN_PART_BYTES = 32 << 20
_MAX_WORKERS = 8
# Never appears in a text file: empty fields read as '' and only padded (missing) fields as NULL.
_NULL_SENTINEL = "\x01"


# -- canonical columns -------------------------------------------------------------------------
@dataclass(frozen=True)
class CanonicalColumn:
    key: str  # English key used in code and SQL: person_id
    ja: str  # canonical Japanese header: 被保険者番号
    aliases: tuple[str, ...]
    required: bool
    values: bool  # a mapping file may translate this column's codes


def normalize_header(name: str) -> str:
    """Header as compared: NFKC, case-folded, without spaces, '_', '-' and '・'."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"[\s_\-・]+", "", text)


@cache
def canonical_columns() -> dict[str, CanonicalColumn]:
    """The canonical extract's columns in file order (claims_columns.toml), by key."""
    with COLUMNS_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    columns = {}
    for key, spec in data["columns"].items():
        # Keys are written into generated SQL as identifiers: keep them plain.
        assert re.fullmatch(r"[a-z][a-z0-9_]*", key), key
        columns[key] = CanonicalColumn(
            key=key,
            ja=spec["ja"],
            aliases=tuple(spec.get("aliases", ())),
            required=bool(spec.get("required", False)),
            values=bool(spec.get("values", False)),
        )
    return columns


@cache
def _one_of() -> tuple[tuple[str, ...], ...]:
    with COLUMNS_FILE.open("rb") as fh:
        return tuple(tuple(group) for group in tomllib.load(fh).get("one_of", []))


@cache
def _alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for column in canonical_columns().values():
        for name in (column.key, column.ja, *column.aliases):
            index[normalize_header(name)] = column.key
    return index


def _canonical_key(name: str) -> str | None:
    """Canonical key for a canonical Japanese header or English key (as written in a mapping)."""
    return _alias_index().get(normalize_header(name))


# -- mapping files -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ClaimsMapping:
    """What a --mapping TOML file says; the empty mapping when none is given."""

    source: Path | None = None
    columns: dict[str, str] = field(default_factory=dict)  # normalised header → key
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # key → raw → canonical
    encoding: str | None = None
    delimiter: str | None = None


def read_mapping(path: Path | None) -> ClaimsMapping:
    """Parse a mapping file (see examples/claims_mapping.example.toml); None → empty mapping."""
    if path is None:
        return ClaimsMapping()
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML ({exc})", file=path) from exc
    except OSError as exc:
        raise InputError(f"cannot read the mapping file ({exc.strerror})", file=path) from exc

    known = {"columns", "values", "encoding", "delimiter"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(
            f"unknown setting(s) {', '.join(unknown)}",
            file=path,
            hint=f"a mapping file has {', '.join(sorted(known))}",
        )

    canon = canonical_columns()
    names = ", ".join(c.ja for c in canon.values())
    columns: dict[str, str] = {}
    for header, target in (data.get("columns") or {}).items():
        key = _canonical_key(str(target))
        if key is None:
            raise InputError(
                f"[columns] maps {header!r} to {target!r}, which is not a canonical column",
                file=path,
                hint=f"map to one of {names}",
            )
        columns[normalize_header(header)] = key

    values: dict[str, dict[str, str]] = {}
    for target, table in (data.get("values") or {}).items():
        key = _canonical_key(str(target))
        if key is None or not canon[key].values:
            allowed = ", ".join(c.ja for c in canon.values() if c.values)
            raise InputError(
                f"[values.{target}] cannot be mapped",
                file=path,
                hint=f"value codes can be mapped for {allowed}",
            )
        if not isinstance(table, dict):
            raise InputError(f'[values.{target}] must be a table of "raw" = "code"', file=path)
        values[key] = {str(raw).strip(): str(code).strip() for raw, code in table.items()}

    encoding = data.get("encoding")
    if encoding is not None:
        encoding = _ENCODING_NAMES.get(str(encoding).strip().lower())
        if encoding is None:
            raise InputError(
                f"encoding {data['encoding']!r} is not supported",
                file=path,
                hint="use auto, cp932 or utf-8",
            )
    delimiter = data.get("delimiter")
    if delimiter is not None:
        delimiter = _DELIMITER_NAMES.get(str(delimiter).lower(), str(delimiter))
        if delimiter not in DELIMITERS:
            raise InputError(
                f"delimiter {data['delimiter']!r} is not supported",
                file=path,
                hint='use ",", "\\t" (or "tab"), ";" or "|"',
            )
    return ClaimsMapping(
        source=path, columns=columns, values=values, encoding=encoding, delimiter=delimiter
    )


# -- header and layout -------------------------------------------------------------------------
@dataclass(frozen=True)
class ExtractLayout:
    """How one extract is laid out: encoding, delimiter, and the canonical key of each column."""

    path: Path
    encoding: str  # cp932 | utf-8 | ascii (only ASCII seen so far: decided while streaming)
    delimiter: str
    headers: tuple[str, ...]  # as in the file
    keys: tuple[str | None, ...]  # canonical key per file column; None = not used

    def position(self, key: str) -> int | None:
        return self.keys.index(key) if key in self.keys else None

    def header_of(self, key: str) -> str | None:
        pos = self.position(key)
        return self.headers[pos] if pos is not None else None

    @property
    def ignored(self) -> list[str]:
        return [h for h, k in zip(self.headers, self.keys, strict=True) if k is None]


def _resolve_encoding(requested: str, mapping: ClaimsMapping) -> str:
    name = _ENCODING_NAMES.get(requested.strip().lower())
    if name is None:
        raise InputError(
            f"encoding {requested!r} is not supported", hint="use auto, cp932 or utf-8"
        )
    # Precedence: an explicit --encoding > the mapping file's encoding > detection.
    if name == "auto" and mapping.encoding:
        return mapping.encoding
    return name


def read_layout(path: Path, mapping: ClaimsMapping, *, encoding: str = "auto") -> ExtractLayout:
    """Read the header line, settle encoding and delimiter, and match headers to columns.

    Raises InputError naming the file when a required column is missing or two headers claim
    the same column.
    """
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if not sample.strip():
        raise InputError("the file is empty", file=path)
    body = sample[len(codecs.BOM_UTF8) :] if sample.startswith(codecs.BOM_UTF8) else sample

    chosen = _resolve_encoding(encoding, mapping)
    if chosen == "auto":
        if sample.startswith(codecs.BOM_UTF8):
            chosen = "utf-8"
        elif body.isascii():
            # ASCII is both UTF-8 and CP932: decide at the first non-ASCII block.
            chosen = "ascii"
        else:
            # Cut at the last line end so a sample never ends inside a character.
            cut = body.rfind(b"\n")
            detected = detect_encoding(body[: cut + 1] if cut > 0 else body, file=path)
            chosen = "cp932" if detected == "cp932" else "utf-8"

    end = body.find(b"\n")
    if end < 0 and len(sample) == SAMPLE_BYTES:
        raise InputError("no line end in the first megabyte", file=path, row=1)
    line_bytes = (body if end < 0 else body[:end]).rstrip(b"\r")
    try:
        header_line = line_bytes.decode("utf-8" if chosen == "ascii" else chosen)
    except UnicodeDecodeError as exc:
        raise EncodingDetectionError(
            f"the header is not valid {chosen}",
            file=path,
            row=1,
            hint="pass --encoding cp932 or --encoding utf-8 to match how the file was saved",
        ) from exc

    delimiter = mapping.delimiter or _sniff_delimiter(header_line)
    headers = tuple(next(csv.reader([header_line], delimiter=delimiter)))
    keys = _match_headers(path, headers, mapping)
    return ExtractLayout(
        path=path, encoding=chosen, delimiter=delimiter, headers=headers, keys=keys
    )


def _sniff_delimiter(header_line: str) -> str:
    # The header names canonical columns, none of which contains a delimiter: the most frequent
    # candidate is the delimiter.
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _match_headers(
    path: Path, headers: tuple[str, ...], mapping: ClaimsMapping
) -> tuple[str | None, ...]:
    canon = canonical_columns()
    keys: list[str | None] = []
    claimed: dict[str, str] = {}
    for header in headers:
        norm = normalize_header(header)
        key = mapping.columns.get(norm) or _alias_index().get(norm)
        if key is not None and key in claimed:
            raise InputError(
                f"headers {claimed[key]!r} and {header!r} both map to {canon[key].ja}",
                file=path,
                row=1,
                column=header,
                hint="map one of them to another column in --mapping [columns], or remove it",
            )
        if key is not None:
            claimed[key] = header
        keys.append(key)

    missing = [c.ja for c in canon.values() if c.required and c.key not in claimed]
    for group in _one_of():
        if not any(key in claimed for key in group):
            missing.append(" or ".join(canon[key].ja for key in group))
    if missing:
        source = f" in {mapping.source}" if mapping.source else " with --mapping"
        raise InputError(
            f"required column(s) missing: {', '.join(missing)} (headers found: "
            f"{', '.join(headers)})",
            file=path,
            row=1,
            hint=f"map your headers to the canonical names{source} [columns], e.g. "
            f'"被保番" = "被保険者番号"',
        )
    return tuple(keys)


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
    path: Path, progress: Progress | None = None, start: int = 0, end: int | None = None
) -> Iterator[bytes]:
    """Bytes [start, end) of the file in newline-aligned blocks (all but the last end in \\n)."""
    carry = b""
    with path.open("rb") as fh:
        fh.seek(start)
        left = (end - start) if end is not None else None
        while left is None or left > 0:
            block = fh.read(_BLOCK_BYTES if left is None else min(_BLOCK_BYTES, left))
            if not block:
                break
            if left is not None:
                left -= len(block)
            if progress is not None:
                progress.advance(len(block))
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                carry += block
                continue
            yield carry + block[:cut] if carry else block[:cut]
            carry = block[cut:]
    if carry:
        yield carry


_BLANK = re.compile(rb"(?:^|(?<=\n))\r?(?=\n)")


def _has_blank_line(block: bytes, first: bool, crlf: bool) -> bool:
    # Blocks start at a line start; the very first line is the header and never blank here.
    # One search per block: a file has one kind of line end (DuckDB refuses mixed ones).
    end = b"\r\n" if crlf else b"\n"
    return (b"\n" + end) in block or (not first and block.startswith(end))


def _fill_blank_lines(block: bytes, filler: bytes) -> tuple[bytes, int]:
    """Blank lines → lines of empty fields; DuckDB would skip them and shift every line number."""
    filled, count = _BLANK.subn(lambda m: filler + m.group(0), block)
    return filled, count


def _transcode_range(
    src: str, start: int, end: int, dst: str, encoding: str, filler: str, header: str
) -> tuple[int, int, bool]:
    """Bytes [start, end) of `src`, newline-aligned, as UTF-8 into `dst`.

    Returns (newlines, blank lines filled, whether bytes were replaced).

    A range that does not start the file gets `header` (the header line) first, so that each
    part is a CSV file of its own. Runs in worker processes: plain, JSON-able arguments only.
    """
    newlines = blanks = 0
    replaced = False
    fill = filler.encode("utf-8")
    crlf = header.endswith("\r\n")
    with open(dst, "wb") as out:
        if start > 0:
            out.write(header.encode("utf-8"))
        first = start == 0
        for block in _blocks(Path(src), start=start, end=end):
            if first and block.startswith(codecs.BOM_UTF8):
                block = block[len(codecs.BOM_UTF8) :]
            newlines += block.count(b"\n")
            if _has_blank_line(block, first, crlf):
                block, n = _fill_blank_lines(block, fill)
                blanks += n
            first = False
            if block.isascii():
                # The fast path: ASCII is the same bytes in CP932 and UTF-8.
                out.write(block)
                continue
            try:
                text = block.decode(encoding)
            except UnicodeDecodeError:
                # Strict first: it is faster, and bad bytes are rare.
                text = block.decode(encoding, "replace")
                replaced = True
            out.write(text.encode("utf-8"))
    return newlines, blanks, replaced


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


# A worker is a fresh interpreter running one _transcode_range: unlike multiprocessing's spawn,
# it never re-imports the caller's __main__, so library users need no `if __name__` guard.
_WORKER = (
    "import json, sys\n"
    "from zaitaku_cli.readers.claims_extract import _transcode_range\n"
    "print(json.dumps(_transcode_range(*json.loads(sys.argv[1]))))\n"
)


def _run_workers(
    path: Path, jobs: list[tuple[str, int, int, str, str, str, str]], progress: Progress
) -> list[tuple[int, int, bool]]:
    package_root = str(Path(__file__).resolve().parents[2])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p),
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, json.dumps(job)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for job in jobs
    ]
    results = []
    failure = None
    for job, proc in zip(jobs, procs, strict=True):
        out, err = proc.communicate()
        progress.advance(job[2] - job[1])
        if proc.returncode != 0:
            failure = failure or err.decode("utf-8", "replace").strip().splitlines()[-1:]
            continue
        newlines, blanks, replaced = json.loads(out)
        results.append((int(newlines), int(blanks), bool(replaced)))
    if failure is not None:
        raise InputError(
            f"decoding failed ({' '.join(failure) or 'worker exited'})",
            file=path,
            hint="check the free space beside the warehouse",
        )
    return results


def prepare_utf8(
    layout: ExtractLayout,
    workdir: Path,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
) -> PreparedExtract:
    """The extract as UTF-8 CSV part files under `workdir`, decoded in parallel processes.

    UTF-8 input that is valid and has no blank lines is read in place (one read-only pass).
    CPython's CP932 codec runs at ~150 MB/s on one core and holds the GIL, so large files are
    cut at line starts and decoded by `workers` processes (default: one per CPU, from 32 MB a
    part), each writing its own part; DuckDB reads the parts in order. Bytes invalid in the
    encoding become U+FFFD, and the rows holding them are rejected later, so one bad byte does
    not refuse a whole extract.
    """
    progress = progress or NoProgress()
    size = layout.path.stat().st_size
    filler = layout.delimiter * (len(layout.headers) - 1)
    started = time.perf_counter()
    encoding = layout.encoding
    if encoding in ("utf-8", "ascii"):
        progress.start(f"{layout.path.name}: checking text", total=size)
        scan = _scan(layout, progress)
        progress.finish()
        if scan.clean:
            return PreparedExtract(
                paths=(layout.path,),
                encoding="utf-8",
                transcoded=False,
                lines=scan.lines,
                blank_lines=0,
                replaced=False,
                bytes_read=size,
                seconds=time.perf_counter() - started,
            )
        encoding = scan.encoding

    ranges = _split(layout.path, size, workers or _workers_for(size))
    # Each part repeats the header line as it is in the file, line end included: DuckDB wants
    # one kind of line end per file.
    with layout.path.open("rb") as fh:
        first_line = fh.readline(SAMPLE_BYTES).removeprefix(codecs.BOM_UTF8)
    header = first_line.decode(encoding, "replace")
    jobs = [
        (str(layout.path), start, end, str(workdir / f"part-{i:03d}.csv"), encoding, filler, header)
        for i, (start, end) in enumerate(ranges)
    ]
    progress.start(f"{layout.path.name}: decoding {encoding}", total=size)
    if len(jobs) == 1:
        # Small files (and one-CPU machines) are decoded in this process.
        results = [_transcode_range(*jobs[0])]
        progress.advance(size)
    else:
        results = _run_workers(layout.path, jobs, progress)
    progress.finish()

    with layout.path.open("rb") as fh:
        fh.seek(max(0, size - 1))
        unterminated = size > 0 and fh.read(1) != b"\n"
    return PreparedExtract(
        paths=tuple(Path(job[3]) for job in jobs),
        encoding=encoding,
        transcoded=True,
        lines=sum(r[0] for r in results) + (1 if unterminated else 0),
        blank_lines=sum(r[1] for r in results),
        replaced=any(r[2] for r in results),
        bytes_read=size,
        seconds=time.perf_counter() - started,
        workers=len(jobs),
        part_offsets=tuple(
            # part i > 0 holds input lines from (newlines before it) + 1 on, after its header
            sum(r[0] for r in results[:i]) - 1 if i else 0
            for i in range(len(results))
        ),
    )


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
    crlf = False
    utf8 = codecs.getincrementaldecoder("utf-8")()
    for block in _blocks(layout.path, progress):
        lines += block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
        if first:
            nl = block.find(b"\n")
            crlf = nl > 0 and block[nl - 1 : nl] == b"\r"
        if _has_blank_line(block, first, crlf):
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


# -- DuckDB ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RawLoad:
    """The raw text table DuckDB loaded, and the lines it could not split into fields."""

    table: str
    rows: int
    malformed: list[tuple[int, str]]  # (line number, the line) — contains the raw person key
    quoted_line_breaks: bool  # read serially: a quoted field holds a line break
    lenient: bool = False  # read with strict_mode off (mixed line ends, stray quotes)
    serial: bool = False  # read again without DuckDB's parallel reader


def load_raw(
    con: duckdb.DuckDBPyConnection,
    prepared: PreparedExtract,
    layout: ExtractLayout,
    *,
    table: str = "claims_raw_text",
) -> RawLoad:
    """Load every field as text into temp table `table` (c1…cN and x1), one row per line.

    Must run outside a transaction: rows keep file order (preserve_insertion_order) and a
    committed table numbers them from 0 in that order, which is what gives each row its line.
    """
    columns = {f"c{i + 1}": "varchar" for i in range(len(layout.headers))}
    columns.update({f"x{i + 1}": "varchar" for i in range(_SPARE_FIELDS)})
    params: dict[str, Any] = {
        "path": [str(p) for p in prepared.paths],
        "columns": columns,
        "delim": layout.delimiter,
        "nullstr": _NULL_SENTINEL,
    }
    previous = con.execute("select current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("set preserve_insertion_order = true")
    try:
        con.execute("drop table if exists claims_csv_errors")
        con.execute("drop table if exists claims_csv_scans")
        query = (
            f"create or replace temp table {table} as select * from read_csv($path, "
            "auto_detect = false, columns = $columns, header = true, delim = $delim, "
            "quote = '\"', escape = '\"', null_padding = true, nullstr = $nullstr, "
            "store_rejects = true, rejects_table = 'claims_csv_errors', "
            "rejects_scan = 'claims_csv_scans', parallel = {parallel}, strict_mode = {strict})"
        )
        parallel, strict, quoted_breaks = True, True, False
        while True:
            try:
                con.execute(query.format(parallel=parallel, strict=strict), params)
            except duckdb.Error as exc:
                text = str(exc)
                con.execute("drop table if exists claims_csv_errors")
                con.execute("drop table if exists claims_csv_scans")
                if parallel and "quoted new lines" in text:
                    # The parallel reader cannot pad short rows once a quoted field holds a
                    # line break; the serial one can (such files are rare and small).
                    parallel, quoted_breaks = False, True
                    continue
                if strict and "invalid state" in text:
                    # Mixed line ends (files pasted together) or stray quotes: read leniently;
                    # lines merged on the way are counted by the caller.
                    strict = False
                    continue
                first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
                raise InputError(
                    f"DuckDB cannot read the file as CSV ({first})",
                    file=layout.path,
                    hint="check the delimiter, quotes and line ends, or save the file "
                    "again as CSV from Excel",
                ) from exc
            rows = con.execute(f"select count(*) from {table}").fetchall()[0][0]
            malformed = _malformed_lines(con, prepared, layout.path)
            if parallel and rows + len(malformed) != prepared.lines - 1:
                # Every line must be a row or a set-aside line. DuckDB 2.0's parallel reader
                # has been seen to lose lines when it sets many aside: read again serially,
                # and whatever still does not add up is lines merged by quotes.
                parallel = False
                con.execute("drop table if exists claims_csv_errors")
                con.execute("drop table if exists claims_csv_scans")
                continue
            break
    finally:
        con.execute(f"set preserve_insertion_order = {'true' if previous else 'false'}")
        con.execute("drop table if exists claims_csv_errors")
        con.execute("drop table if exists claims_csv_scans")
    return RawLoad(
        table=table,
        rows=int(rows),
        malformed=malformed,
        quoted_line_breaks=quoted_breaks,
        lenient=not strict,
        serial=not parallel,
    )


def _malformed_lines(
    con: duckdb.DuckDBPyConnection, prepared: PreparedExtract, source: Path
) -> list[tuple[int, str]]:
    """(line in the input, text) of each line DuckDB set aside, in line order."""
    exists = con.execute(
        "select count(*) from duckdb_tables() where table_name = 'claims_csv_errors'"
    ).fetchall()[0][0]
    if not exists:
        return []
    # DuckDB numbers lines within each part; a part after the first repeats the header line.
    offsets = dict(zip((str(p) for p in prepared.paths), prepared.part_offsets, strict=True))
    per_part = con.execute(
        """
        select s.file_path, count(distinct e.line), min(e.line)
        from claims_csv_errors as e
        inner join claims_csv_scans as s on s.scan_id = e.scan_id and s.file_id = e.file_id
        group by s.file_path
        """
    ).fetchall()
    count = sum(int(n) for _, n, _ in per_part)
    if count > _MAX_MALFORMED:
        # Not worth loading, and each such line would be held in memory here: the delimiter or
        # the header is probably wrong.
        first = min(int(line) + offsets[str(path)] for path, _, line in per_part)
        raise InputError(
            f"at least {count:,} lines have more fields than the header (the first is line "
            f"{first})",
            file=source,
            hint="check the delimiter (mapping file: delimiter) and that the header names "
            "every column",
        )
    rows = con.execute(
        """
        select s.file_path, e.line, min(e.csv_line)
        from claims_csv_errors as e
        inner join claims_csv_scans as s on s.scan_id = e.scan_id and s.file_id = e.file_id
        group by s.file_path, e.line
        """
    ).fetchall()
    # DuckDB's csv_line may keep the previous line's end: strip line ends on both sides.
    found = [(int(line) + offsets[str(path)], str(text).strip("\r\n")) for path, line, text in rows]
    return sorted(found)


def create_raw_view(
    con: duckdb.DuckDBPyConnection,
    layout: ExtractLayout,
    raw: RawLoad,
    *,
    replaced: bool,
    view: str = "raw_claim_lines",
) -> None:
    """Expose the raw table under canonical names as `view`, with line_no and field checks.

    Columns: line_no, fields_ok, n_fields, is_blank, undecodable, raw_head, raw_tail and one
    varchar per canonical column (null when the file lacks it). raw_head/raw_tail are the
    fields before and after 被保険者番号 joined by the file's delimiter, so a reject can show its
    row with the person key replaced by its hash. Only internal names (c1…, canonical keys)
    and whitelisted delimiter literals reach the SQL text.
    """
    n = len(layout.headers)
    fields = [f"c{i + 1}" for i in range(n)]
    spare = [f"x{i + 1}" for i in range(_SPARE_FIELDS)]
    person = layout.position("person_id")
    assert person is not None
    delim = DELIMITERS[layout.delimiter]

    # DuckDB skipped the lines it could not split; each one shifts the rows after it.
    skipped = [line for line, _ in raw.malformed]
    if skipped:
        # Row r (0-based) sits on line r + 2 + (number of skipped lines before it). With s_k the
        # k-th skipped line (1-based k), row r comes after it exactly when r >= s_k - k - 1, so
        # the shift of row r is the largest k whose threshold is <= r: an ASOF join finds it.
        thresholds: dict[int, int] = {}
        for k, line in enumerate(skipped, start=1):
            thresholds[line - k - 1] = k  # equal thresholds (adjacent lines): the larger k
        con.register(
            "claims_skipped_input",
            pa.table({"threshold": list(thresholds), "k": list(thresholds.values())}),
        )
        con.execute(
            "create or replace temp table claims_skipped_lines as "
            "select threshold, k from claims_skipped_input"
        )
        con.unregister("claims_skipped_input")
        line_no = "r.rowid + 2 + coalesce(s.k, 0)"
        source = (
            f"{raw.table} as r asof left join claims_skipped_lines as s on r.rowid >= s.threshold"
        )
    else:
        line_no = "r.rowid + 2"
        source = f"{raw.table} as r"
    n_fields = " + ".join(f"case when {c} is null then 0 else 1 end" for c in fields + spare)
    # Cheap per-row tests (the full count is only needed to describe a rejected row): null_padding
    # fills missing fields from the right, so a short row has a null last field.
    fields_ok = f"{fields[-1]} is not null and {spare[0]} is null"
    is_blank = " and ".join(f"({c} = '' or {c} is null)" for c in fields + spare)
    canonical = []
    for key in canonical_columns():
        pos = layout.position(key)
        canonical.append(f"{fields[pos]} as {key}" if pos is not None else f"null as {key}")
    undecodable = (
        f"strpos(concat_ws('', {', '.join(fields)}), chr(65533)) > 0" if replaced else "false"
    )
    head = fields[:person]
    tail = fields[person + 1 :] + spare
    con.execute(
        f"""
        create or replace temp view {view} as
        select
            {line_no} as line_no,
            {fields_ok} as fields_ok,
            {n_fields} as n_fields,
            {is_blank} as is_blank,
            {undecodable} as undecodable,
            {f"concat_ws({delim}, {', '.join(head)}, '')" if head else "''"} as raw_head,
            concat_ws({delim}, '', {", ".join(tail)}) as raw_tail,
            {", ".join(canonical)}
        from {source}
        """
    )
