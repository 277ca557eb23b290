"""Publish a run's outputs as one unit: all files and the manifest replace the previous set at once.

Layout of an output folder OUT, for a set named `municipality`:

    OUT/municipality                 → .sets/municipality/20261204T210512-4f2a   (symlink)
    OUT/.sets/municipality/20261204T210512-4f2a/facilities_by_municipality.csv, …, manifest
    OUT/.sets/municipality/<older>/                (the previous set, kept for readers mid-read)

Files are written into a staging folder (`<id>.partial-<pid>`), which is renamed to its final
name when complete; the symlink is then replaced by an atomic rename. A reader who opens
`OUT/municipality/…` therefore sees the old set or the new one, never a mix, and a crash at any
point leaves the previous set in place. Staging folders of dead processes are removed by the
next publish. Where symlinks cannot be made (Windows without developer mode), the folder is
swapped by two renames instead: never a mix, but for an instant no folder at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from zaitaku_cli import __version__
from zaitaku_cli.errors import ZaitakuError
from zaitaku_cli.export import csv_bytes, with_metadata
from zaitaku_cli.labels import with_japanese_labels
from zaitaku_cli.reference import DATA_DIR
from zaitaku_cli.workbook import SheetSource, write_workbook

if TYPE_CHECKING:
    from zaitaku_cli.warehouse import Warehouse

SETS_DIR = ".sets"
_PARTIAL = ".partial-"
# The current set and the one before it: a reader that resolved the link just before a swap
# can still finish reading.
_KEEP = 2


class OutputSetError(ZaitakuError):
    """An output set could not be written or switched; the previous set is unchanged."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    except OSError:
        return False
    return True


class OutputSet:
    """Files of one set being written; they become visible together on `commit`."""

    def __init__(self, out_dir: Path, name: str) -> None:
        self.out_dir = out_dir
        self.name = name
        self.link = out_dir / name
        self.versions = out_dir / SETS_DIR / name
        self.version_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(2)}"
        self.staging = self.versions / f"{self.version_id}{_PARTIAL}{os.getpid()}"
        self.entries: list[dict[str, Any]] = []
        self.tables: list[SheetSource] = []  # every table written, for the workbook
        try:
            self.versions.mkdir(parents=True, exist_ok=True)
            _remove_dead_staging(self.versions)
            self.staging.mkdir()
        except OSError as exc:
            raise OutputSetError(
                "cannot write into {folder}: {reason} — choose another --out folder",
                folder=out_dir,
                reason=exc.strerror or exc,
            ) from exc

    # -- writing ---------------------------------------------------------------------------
    def path(self, file_name: str) -> Path:
        """Where `file_name` will be readable once the set is committed."""
        return self.link / file_name

    def write_bytes(self, file_name: str, data: bytes, *, rows: int | None = None) -> Path:
        return self._write(file_name, lambda target: target.write_bytes(data), rows=rows)

    def _write(self, file_name: str, write: Any, *, rows: int | None) -> Path:
        target = self.staging / file_name
        try:
            write(target)
            target.chmod(0o666 & ~_umask())
            digest = hashlib.sha256()
            with target.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
        except OSError as exc:
            raise OutputSetError(
                "cannot write {path}: {reason}; the previous outputs are unchanged",
                path=self.path(file_name),
                reason=exc.strerror or exc,
            ) from exc
        self.entries.append(
            {
                "path": str(self.path(file_name)),
                "file": file_name,
                "sha256": digest.hexdigest(),
                "bytes": target.stat().st_size,
                "rows": rows,
            }
        )
        return self.path(file_name)

    def write_table(
        self,
        table: pa.Table,
        stem: str,
        *,
        metadata: Mapping[str, Any],
        csv_encoding: str = "utf-8-sig",
        suppress_flags: Mapping[str, str] | None = None,
    ) -> list[Path]:
        """`<stem>.parquet` (with zaitaku's metadata) and `<stem>.csv` (Excel-friendly).

        Japanese labels are added here (`indicator_ja` beside `indicator`), so every output
        carries them whatever SQL made it; the table is kept for `write_workbook`.
        """
        table = with_japanese_labels(table)
        self.tables.append(SheetSource(stem, table, dict(suppress_flags or {}), dict(metadata)))
        csv = csv_bytes(
            table, name=f"{stem}.csv", encoding=csv_encoding, suppress_flags=suppress_flags
        )
        return [
            self._write(
                f"{stem}.parquet",
                lambda target: pq.write_table(with_metadata(table, metadata), target),
                rows=table.num_rows,
            ),
            self.write_bytes(f"{stem}.csv", csv, rows=table.num_rows),
        ]

    def write_workbook(self, file_name: str, manifest: Mapping[str, Any]) -> Path:
        """One .xlsx of every table written so far (see workbook.py); `manifest` for its notes."""
        return self._write(
            file_name,
            lambda target: write_workbook(target, self.tables, manifest),
            rows=None,
        )

    def write_json(self, file_name: str, data: Mapping[str, Any]) -> Path:
        text = json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"
        return self.write_bytes(file_name, text.encode("utf-8"))

    # -- switching -------------------------------------------------------------------------
    def commit(self) -> Path:
        """Make this set the current one in one step; return the folder readers use."""
        final = self.versions / self.version_id
        try:
            os.replace(self.staging, final)
            _switch(self.link, final)
        except OSError as exc:
            raise OutputSetError(
                "cannot publish {path}: {reason}; the previous outputs are unchanged",
                path=self.link,
                reason=exc.strerror or exc,
            ) from exc
        _prune(self.versions, keep=final)
        return self.link

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


@contextmanager
def output_set(out_dir: Path, name: str) -> Iterator[OutputSet]:
    """Write a set inside the block; it replaces the previous set only if the block succeeds."""
    current = OutputSet(out_dir, name)
    try:
        yield current
    except BaseException:
        current.discard()
        raise
    current.commit()


def _switch(link: Path, target: Path) -> None:
    relative = os.path.relpath(target, link.parent)
    if link.is_dir() and not link.is_symlink():
        # A real folder (an older zaitaku, or a Windows swap): move it among the versions first.
        os.replace(link, link.parent / SETS_DIR / link.name / f"folder-{secrets.token_hex(4)}")
    tmp = link.parent / f".{link.name}.link-{os.getpid()}"
    try:
        tmp.unlink(missing_ok=True)
        os.symlink(relative, tmp, target_is_directory=True)
    except (OSError, NotImplementedError):
        # No symlinks here (Windows without the privilege): swap real folders by two renames.
        old = link.parent / SETS_DIR / link.name / f"replaced-{secrets.token_hex(4)}"
        if link.exists():
            os.replace(link, old)
        os.replace(target, link)
        return
    os.replace(tmp, link)


def _remove_dead_staging(versions: Path) -> None:
    """Staging folders whose writer died (killed mid-export) are garbage: remove them."""
    for entry in versions.iterdir():
        if _PARTIAL not in entry.name:
            continue
        pid_text = entry.name.rsplit(_PARTIAL, 1)[1]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
            shutil.rmtree(entry, ignore_errors=True)


def _prune(versions: Path, *, keep: Path) -> None:
    """Keep the current set and the one before it; older complete sets go."""
    complete = sorted(
        (p for p in versions.iterdir() if p.is_dir() and _PARTIAL not in p.name),
        key=lambda p: p.stat().st_mtime,
    )
    others = [p for p in complete if p != keep]
    for old in others[: max(0, len(others) - (_KEEP - 1))]:
        shutil.rmtree(old, ignore_errors=True)


def current_files(out_dir: Path, name: str) -> list[Path]:
    """The files of the current set `name` in `out_dir` (empty when none was published)."""
    folder = out_dir / name
    return sorted(folder.iterdir()) if folder.is_dir() else []


def set_manifest(
    wh: Warehouse,
    files: OutputSet,
    *,
    reference: Iterable[str],
    warnings: list[str],
    **fields: Any,
) -> dict[str, Any]:
    """The manifest of a set being written: version, time, warehouse, `fields` (level, plan,
    period …), every ingested file, the sha256 of the packaged `reference` tables used, the
    files written so far and the warnings."""
    from zaitaku_cli.warehouse import file_sha256

    return {
        "zaitaku_version": __version__,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "warehouse": str(wh.path),
        "set": files.name,
        **fields,
        "inputs": wh.ingests(),
        "reference_sha256": {name: file_sha256(DATA_DIR / name) for name in reference},
        "outputs": list(files.entries),
        "warnings": warnings,
    }
