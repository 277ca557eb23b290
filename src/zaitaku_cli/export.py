"""Parquet and CSV writers: atomic replace, Excel-friendly CSV, suppressed cells shown as '-'."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from zaitaku_cli.errors import ConfigError, ZaitakuError

CSV_ENCODINGS = {"utf-8-sig", "utf-8", "cp932"}
SUPPRESSED_MARK = "-"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it over `target` only if the block succeeds.

    A crash or error mid-write leaves the previous good file in place and no half-written one.
    The file gets the permissions of an ordinary new file (umask), not mkstemp's private 0600,
    so colleagues sharing the output folder can read it.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise ZaitakuError(
            "cannot write {path}: {reason} — choose another --out folder",
            path=target,
            reason=exc.strerror or exc,
        ) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        tmp.chmod(0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as exc:
        raise ZaitakuError(
            "cannot write {path}: {reason} — is a folder or a locked file in "
            "the way? The previous output, if any, is unchanged",
            path=target,
            reason=exc.strerror or exc,
        ) from exc
    finally:
        if tmp.exists():
            tmp.unlink()


def with_metadata(table: pa.Table, metadata: Mapping[str, Any]) -> pa.Table:
    meta = dict(table.schema.metadata or {})
    for key, value in metadata.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        meta[f"zaitaku.{key}".encode()] = text.encode("utf-8")
    return table.replace_schema_metadata(meta)


def write_parquet(table: pa.Table, target: Path, metadata: Mapping[str, Any]) -> Path:
    """Parquet with zaitaku's metadata (coverage caveat, suppression, provenance) in the footer."""
    with atomic_path(target) as tmp:
        pq.write_table(with_metadata(table, metadata), tmp)
    return target


def _quoted(expr: pl.Expr) -> pl.Expr:
    return pl.lit('"') + expr.str.replace_all('"', '""', literal=True) + pl.lit('"')


def _csv_field(frame: pl.DataFrame, column: str, flag: str | None) -> pl.Expr:
    """The text of one CSV column: numbers bare, every other value quoted, null empty.

    Codes (`03`, `03201`) and periods (`2023-04`) are text: quoting them lets a careful import
    (LibreOffice's "quoted field as text", Python's csv.QUOTE_NONNUMERIC) keep them as text.
    A suppressed cell is the quoted text "-", so a value column stays numbers and `-`.
    """
    value = pl.col(column)
    if frame.schema[column].is_numeric():
        text = value.cast(pl.String).fill_null("")
        if flag is not None:
            text = pl.when(pl.col(flag)).then(pl.lit(f'"{SUPPRESSED_MARK}"')).otherwise(text)
        return text.alias(column)
    return _quoted(value.cast(pl.String)).fill_null("").alias(column)


def csv_text(table: pa.Table, suppress_flags: Mapping[str, str] | None = None) -> str:
    """The CSV of `table` as zaitaku writes it: CRLF lines, a quoted header, quoted text.

    polars' own quote styles cannot quote `-` in a number column while leaving its numbers bare,
    so the fields are built with expressions (column-wise, no Python loop over rows).
    """
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    flags = {
        value: flag
        for value, flag in (suppress_flags or {}).items()
        if value in frame.columns and flag in frame.columns
    }
    header = ",".join('"' + name.replace('"', '""') + '"' for name in frame.columns)
    if not frame.columns:
        return ""
    if frame.is_empty():
        return header + "\r\n"
    lines = frame.select(
        pl.concat_str(
            [_csv_field(frame, c, flags.get(c)) for c in frame.columns], separator=","
        ).alias("line")
    )["line"]
    return header + "\r\n" + lines.str.join("\r\n")[0] + "\r\n"


def csv_bytes(
    table: pa.Table,
    *,
    name: str,
    encoding: str = "utf-8-sig",
    suppress_flags: Mapping[str, str] | None = None,
) -> bytes:
    """CSV that Japanese Excel opens correctly: UTF-8 with BOM by default, or CP932.

    Text (codes, periods, names) is quoted and numbers are not (see _csv_field). Excel itself
    ignores the quotes when a CSV is double-clicked (03201 → 3201, 2023-04 → a date): the
    workbook (`--xlsx`) is the file to open in Excel.
    """
    if encoding not in CSV_ENCODINGS:
        raise ConfigError(
            "--csv-encoding must be one of {choices}, not {value}",
            choices=sorted(CSV_ENCODINGS),
            value=encoding,
        )
    text = csv_text(table, suppress_flags)
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        bad = text[exc.start : exc.end]
        raise ZaitakuError(
            "{name}: the character {character!r} cannot be written in {encoding}; "
            "use --csv-encoding utf-8-sig",
            name=name,
            character=bad,
            encoding=encoding,
        ) from exc


def write_csv(
    table: pa.Table,
    target: Path,
    *,
    encoding: str = "utf-8-sig",
    suppress_flags: Mapping[str, str] | None = None,
) -> Path:
    data = csv_bytes(table, name=target.name, encoding=encoding, suppress_flags=suppress_flags)
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target


def write_json(data: Mapping[str, Any], target: Path) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_text(
            json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
        )
    return target


def write_outputs(
    table: pa.Table,
    out_dir: Path,
    stem: str,
    *,
    metadata: Mapping[str, Any],
    csv_encoding: str = "utf-8-sig",
    suppress_flags: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write `<stem>.parquet` and `<stem>.csv` into out_dir as a pair.

    Both are written to temporary files first and renamed only when both succeeded, so a
    failure never leaves a new Parquet beside an old CSV.
    """
    parquet, csv = out_dir / f"{stem}.parquet", out_dir / f"{stem}.csv"
    data = csv_bytes(table, name=csv.name, encoding=csv_encoding, suppress_flags=suppress_flags)
    with atomic_path(parquet) as parquet_tmp, atomic_path(csv) as csv_tmp:
        pq.write_table(with_metadata(table, metadata), parquet_tmp)
        csv_tmp.write_bytes(data)
    return [parquet, csv]
