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
            f"cannot write {target}: {exc.strerror or exc} — choose another --out folder"
        ) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        tmp.chmod(0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as exc:
        raise ZaitakuError(
            f"cannot write {target}: {exc.strerror or exc} — is a folder or a locked file in "
            "the way? The previous output, if any, is unchanged"
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


def _csv_frame(table: pa.Table, suppress_flags: Mapping[str, str]) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    marked = []
    for value_col, flag_col in suppress_flags.items():
        if value_col in frame.columns and flag_col in frame.columns:
            marked.append(
                pl.when(pl.col(flag_col))
                .then(pl.lit(SUPPRESSED_MARK))
                .otherwise(pl.col(value_col).cast(pl.String))
                .alias(value_col)
            )
    return frame.with_columns(marked) if marked else frame


def csv_bytes(
    table: pa.Table,
    *,
    name: str,
    encoding: str = "utf-8-sig",
    suppress_flags: Mapping[str, str] | None = None,
) -> bytes:
    """CSV that Japanese Excel opens correctly: UTF-8 with BOM by default, or CP932."""
    if encoding not in CSV_ENCODINGS:
        raise ConfigError(f"--csv-encoding must be one of {sorted(CSV_ENCODINGS)}, not {encoding}")
    text = _csv_frame(table, suppress_flags or {}).write_csv(line_terminator="\r\n")
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        bad = text[exc.start : exc.end]
        raise ZaitakuError(
            f"{name}: the character {bad!r} cannot be written in {encoding}; "
            "use --csv-encoding utf-8-sig"
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
