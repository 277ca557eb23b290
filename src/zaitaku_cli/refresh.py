"""`zaitaku refresh`: the nightly job. Ingest what is new in the configured input folders, then
publish every configured export — or stop loudly, having exported nothing.

A run, in order:
1. takes the warehouse lock (a second run exits at once, see run_lock);
2. lists the input folders (files only, in name order; DEFAULT_IGNORE and `ignore` left alone)
   and hashes each file: a sha256 already in the ingest log is not ingested again, whatever its
   name, and a file of the drop folder is recognised by its content (readers.detect);
3. refuses the whole run, with nothing loaded, when a file is not recognised;
4. ingests the new files by kind (facility lists, count tables, claims), then by name, each in
   its own transaction; the first that fails stops the run before any export: the files before
   it stay loaded (they were valid), the outputs stay as they were;
5. publishes each configured export (level × plan × period) whose current set was not computed
   from the warehouse as it is now (aggregate.warehouse_state, kept in each set's manifest):
   after a run that ingested nothing, every set is current and the run says "nothing new".
The run is recorded in run_history (`zaitaku runs`). `dry_run` lists the same plan without the
lock and without writing anything: the warehouse is opened read-only, or not at all.
"""

from __future__ import annotations

import fnmatch
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zaitaku_cli.aggregate import aggregate, warehouse_state
from zaitaku_cli.choices import ExportChoice
from zaitaku_cli.config import RefreshSettings
from zaitaku_cli.errors import ConfigError, WarehouseBusy, ZaitakuError
from zaitaku_cli.i18n import join, t
from zaitaku_cli.ingest_auto import IngestOptions, ingest_file
from zaitaku_cli.progress import NoProgress, Progress
from zaitaku_cli.readers.claims_extract import read_mapping
from zaitaku_cli.readers.detect import DETECTORS, UnrecognisedInput, detect_kind
from zaitaku_cli.run_history import recorded_run
from zaitaku_cli.run_lock import RunLock, read_holder
from zaitaku_cli.summary import IngestSummary
from zaitaku_cli.warehouse import Warehouse, WarehouseRecords, connect_read_only, file_sha256

__all__ = ["ExportOutcome", "FileOutcome", "RefreshResult", "list_inputs", "refresh"]

COMMAND = "zaitaku refresh"
_KIND_ORDER = {d.kind: i for i, d in enumerate(DETECTORS)}

Log = Callable[[str], None]


@dataclass
class FileOutcome:
    """What the run did with one input file.

    status: ingested | unchanged (its sha256 is in the ingest log) | removed (taken back out of
    the warehouse) | duplicate (same content as another file of this run) | refused (not
    recognised) | failed | not_reached (after a failure) | would_ingest (dry run).
    """

    path: Path
    kind: str | None
    status: str
    reason: str = ""
    sha256: str | None = None
    summary: IngestSummary | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": str(self.path),
            "kind": self.kind,
            "status": self.status,
            "reason": self.reason,
            "sha256": self.sha256,
        }
        if self.summary is not None:
            s = self.summary
            data |= {
                "as_of": s.as_of.isoformat() if s.as_of else None,
                "pref_codes": s.pref_codes,
                "rows_read": s.rows_read,
                "rows_loaded": s.rows_loaded,
                "rows_rejected": s.rows_rejected,
                "reject_reasons": s.reject_reasons,
                "warnings": s.warnings,
            }
        return data


@dataclass
class ExportOutcome:
    """One configured export: status written | current | would_write | failed | not_reached."""

    choice: ExportChoice
    folder: Path
    status: str
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "set": self.choice.set_name,
            "level": self.choice.level,
            "plan": self.choice.plan,
            "period": self.choice.period,
            "suppression": self.choice.suppress,
            "folder": str(self.folder),
            "status": self.status,
            "files": self.files,
        }


@dataclass
class RefreshResult:
    """status: ok | nothing_new | failed | dry_run; exit_code is the command's."""

    status: str = "ok"
    exit_code: int = 0
    files: list[FileOutcome] = field(default_factory=list)
    exports: list[ExportOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    run_id: int | None = None
    dry_run: bool = False

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        loaded = [f.summary for f in self.files if f.summary is not None]
        rejects: dict[str, int] = {}
        for s in loaded:
            for reason, n in s.reject_reasons.items():
                rejects[reason] = rejects.get(reason, 0) + n
        return {
            "status": self.status,
            "exit_code": self.exit_code,
            "dry_run": self.dry_run,
            "run_id": self.run_id,
            "files": [f.to_dict() for f in self.files],
            "counts": {
                status: self.count(status)
                for status in (
                    "ingested",
                    "unchanged",
                    "removed",
                    "duplicate",
                    "refused",
                    "failed",
                    "not_reached",
                    "would_ingest",
                )
            },
            "rows": {
                "read": sum(s.rows_read for s in loaded),
                "loaded": sum(s.rows_loaded for s in loaded),
                "rejected": sum(s.rows_rejected for s in loaded),
            },
            "rejects": rejects,
            "outputs": [e.to_dict() for e in self.exports],
            "warnings": self.warnings,
            "seconds": round(self.seconds, 3),
            "error": self.error,
        }


# -- inputs -------------------------------------------------------------------------------------
def list_inputs(settings: RefreshSettings) -> list[tuple[Path, str | None]]:
    """(file, kind) of every input; kind None for the drop folder (recognised by content)."""
    found: list[tuple[Path, str | None]] = []
    for kind, folder in settings.folders.items():
        found += [(path, kind) for path in _files(folder, settings.ignore)]
    if settings.drop is not None:
        found += [(path, None) for path in _files(settings.drop, settings.ignore)]
    return found


def _files(folder: Path, ignore: tuple[str, ...]) -> list[Path]:
    # Patterns match whatever the case (名簿.XLSX on a Windows share is the same file kind).
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file()
        and not any(fnmatch.fnmatchcase(path.name.lower(), p.lower()) for p in ignore)
    )


def _ingested(records: WarehouseRecords) -> dict[str, tuple[str, str, int, bool]]:
    """sha256 → (kind, file name, ingest id, taken out) of every file in the ingest log.

    A file taken back out (`zaitaku remove`, where the log has removed_at) is not loaded again
    by a refresh either: it was removed on purpose while it may still sit in the input folder.
    """
    known: dict[str, tuple[str, str, int, bool]] = {}
    for row in records.ingest_log():
        removed = row.get("removed_at") is not None
        known.setdefault(
            row["sha256"],
            (row["kind"].replace("_", "-"), row["file_name"], row["ingest_id"], removed),
        )
    return known


def _plan(
    inputs: list[tuple[Path, str | None]],
    known: dict[str, tuple[str, str, int, bool]],
    settings: RefreshSettings,
    log: Log,
) -> list[FileOutcome]:
    """Every input with what to do with it, the files to ingest in ingest order first."""
    mapping = read_mapping(settings.claims_mapping)
    planned: list[FileOutcome] = []
    first_of: dict[str, Path] = {}
    for path, kind in inputs:
        sha = file_sha256(path)
        if sha in known:
            old_kind, name, ingest_id, removed = known[sha]
            if removed:
                why = t(
                    "taken out of the warehouse (#{ingest_id}, {file}): `zaitaku ingest` it "
                    "to load it again",
                    ingest_id=ingest_id,
                    file=name,
                )
                planned.append(FileOutcome(path, old_kind, "removed", why, sha))
            else:
                why = t("ingested as {file} (#{ingest_id})", file=name, ingest_id=ingest_id)
                planned.append(FileOutcome(path, old_kind, "unchanged", why, sha))
            continue
        if sha in first_of:
            same = t("same content as {file}", file=first_of[sha])
            planned.append(FileOutcome(path, kind, "duplicate", same, sha))
            continue
        first_of[sha] = path
        reason = t("from its folder")
        if kind is None:
            try:
                found = detect_kind(path, claims_mapping=mapping)
            except UnrecognisedInput as exc:
                planned.append(FileOutcome(path, None, "refused", exc.message, sha))
                log(t("refused {path}: {reason}", path=path, reason=exc.message))
                continue
            kind, reason = found.kind, found.reason
        planned.append(FileOutcome(path, kind, "to_ingest", reason, sha))
    return sorted(
        planned,
        key=lambda f: (
            f.status != "to_ingest",
            _KIND_ORDER.get(f.kind or "", len(_KIND_ORDER)),
            f.path.name,
            str(f.path),
        ),
    )


# -- exports ------------------------------------------------------------------------------------
def _choices(settings: RefreshSettings) -> list[ExportChoice]:
    return [
        ExportChoice(level=level, plan=plan, period=period, suppress=settings.suppress)
        for level in settings.levels
        for plan in settings.plans
        for period in settings.periods
    ]


def _is_current(settings: RefreshSettings, choice: ExportChoice, state: str | None) -> bool:
    """The published set was computed from this warehouse state with these choices."""
    manifest = settings.out_dir / choice.set_name / choice.manifest_name
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        state is not None
        and data.get("warehouse_state") == state
        and data.get("csv_encoding") == settings.csv_encoding
    )


def _planned_files(choice: ExportChoice, *, facilities: bool, claims: bool) -> list[str]:
    names = []
    for kind, present in (("facilities", facilities), ("claims", claims)):
        if present:
            names += [f"{choice.stem(kind)}.parquet", f"{choice.stem(kind)}.csv"]
    return [*names, choice.manifest_name]


# -- the run ------------------------------------------------------------------------------------
def _check_warehouse_folder(settings: RefreshSettings) -> None:
    if not settings.warehouse.parent.is_dir():
        raise ConfigError(
            "the folder of the warehouse {path} does not exist: check warehouse in {config}, "
            "--warehouse or $ZAITAKU_WAREHOUSE (refresh never creates it, so that a typo cannot "
            "start an empty warehouse)",
            path=settings.warehouse,
            config=settings.config_file,
        )


def refresh(
    settings: RefreshSettings,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    log: Log | None = None,
) -> RefreshResult:
    """Run (or, with dry_run, plan) one refresh; see the module docstring.

    Returns the result, also when an ingest or an export failed (status 'failed', exit_code 1,
    `error` naming the file): a nightly job reports what it did before the failure. Raises
    WarehouseBusy when another process holds the lock, ConfigError for a bad setting.
    """
    started = time.perf_counter()
    log = log or (lambda _line: None)
    progress = progress or NoProgress()
    _check_warehouse_folder(settings)
    inputs = list_inputs(settings)
    if dry_run:
        result = _dry_run(settings, inputs, log)
    else:
        with RunLock(settings.warehouse, COMMAND) as lock:
            result = RefreshResult()
            if lock.replaced is not None:
                result.warnings.append(
                    t(
                        "took over the lock left by {holder}, which is no longer running",
                        holder=lock.replaced.describe(),
                    )
                )
            with (
                Warehouse(settings.warehouse, memory_limit=settings.memory_limit) as wh,
                recorded_run(wh, COMMAND) as run,
            ):
                result.run_id = run.run_id
                _run(wh, settings, inputs, result, progress, log)
                run.files = [f.to_dict() for f in result.files]
                run.outputs = [e.to_dict() for e in result.exports]
                run.warnings = result.warnings
                run.status, run.exit_code, run.error = result.status, result.exit_code, result.error
    result.seconds = time.perf_counter() - started
    return result


def _run(
    wh: Warehouse,
    settings: RefreshSettings,
    inputs: list[tuple[Path, str | None]],
    result: RefreshResult,
    progress: Progress,
    log: Log,
) -> None:
    result.files = _plan(inputs, _ingested(wh), settings, log)
    refused = [f for f in result.files if f.status == "refused"]
    if refused:
        for f in result.files:
            if f.status == "to_ingest":
                f.status = "not_reached"
        result.status, result.exit_code = "failed", 1
        shown = "; ".join(f"{f.path}: {f.reason}" for f in refused)
        result.error = t(
            "{count} file(s) not recognised, so nothing was ingested or exported: {files} — "
            "move them out of the input folder, add a pattern to [refresh.inputs] ignore, "
            "or put them in the folder of their kind",
            count=len(refused),
            files=shown,
        )
        return

    options = IngestOptions(
        pref=settings.pref,
        claims_mapping=settings.claims_mapping,
        claims_encoding=settings.claims_encoding,
        max_reject_rate=settings.max_reject_rate,
        replace=settings.overlap == "replace",
    )
    pending = [f for f in result.files if f.status == "to_ingest"]
    for index, outcome in enumerate(pending):
        assert outcome.kind is not None
        log(
            t(
                "ingesting {path} as {kind} ({reason})",
                path=outcome.path,
                kind=outcome.kind,
                reason=outcome.reason,
            )
        )
        try:
            summary = ingest_file(wh, outcome.path, outcome.kind, options, progress=progress)
        except ZaitakuError as exc:
            outcome.status, outcome.reason = "failed", str(exc)
            for later in pending[index + 1 :]:
                later.status = "not_reached"
            done = [f.path.name for f in pending[:index]]
            result.status, result.exit_code = "failed", exc.exit_code
            text = str(exc) if outcome.path.name in str(exc) else f"{outcome.path}: {exc}"
            result.error = (
                t(
                    "{error} (nothing exported; loaded before it and kept: {files})",
                    error=text,
                    files=join(done),
                )
                if done
                else t("{error} (nothing exported)", error=text)
            )
            log(t("failed {path}: {error}", path=outcome.path, error=exc))
            return
        outcome.summary = summary
        outcome.status = "ingested" if summary.status == "loaded" else summary.status
        for warning in summary.warnings:
            result.warnings.append(
                warning if outcome.path.name in warning else f"{outcome.path.name}: {warning}"
            )
        log(
            t(
                "{status} {path}: {loaded:,} rows loaded, {rejected:,} rejected",
                status=outcome.status,
                path=outcome.path,
                loaded=summary.rows_loaded,
                rejected=summary.rows_rejected,
            )
        )

    ingested = result.count("ingested")
    state = warehouse_state(wh)
    has_data = bool(wh.count_rows("ingest_log"))
    choices = _choices(settings)
    for index, choice in enumerate(choices):
        folder = settings.out_dir / choice.set_name
        if not has_data:
            break
        if not ingested and _is_current(settings, choice, state):
            result.exports.append(ExportOutcome(choice, folder, "current"))
            continue
        log(t("exporting {folder}", folder=folder))
        try:
            made = aggregate(
                wh,
                level=choice.level,
                out_dir=settings.out_dir,
                plan=choice.plan,
                period=choice.period,
                csv_encoding=settings.csv_encoding,
                suppress=choice.suppress,
            )
        except ZaitakuError as exc:
            result.exports.append(ExportOutcome(choice, folder, "failed"))
            result.exports += [
                ExportOutcome(c, settings.out_dir / c.set_name, "not_reached")
                for c in choices[index + 1 :]
            ]
            result.status, result.exit_code = "failed", exc.exit_code
            result.error = t("export {set} failed: {error}", set=choice.set_name, error=exc)
            log(result.error)
            return
        files = [p.name for p in made.outputs] + ([made.manifest.name] if made.manifest else [])
        result.exports.append(ExportOutcome(choice, folder, "written", files))
        for warning in made.warnings:
            if warning not in result.warnings:
                result.warnings.append(warning)
    if not has_data:
        result.warnings.append(t("the warehouse holds no data yet: nothing to export"))
    if not ingested and all(e.status == "current" for e in result.exports):
        result.status = "nothing_new"


def _dry_run(
    settings: RefreshSettings, inputs: list[tuple[Path, str | None]], log: Log
) -> RefreshResult:
    """What a run would do, touching nothing: no lock, the warehouse read-only (or unopened)."""
    result = RefreshResult(status="dry_run", dry_run=True)
    holder = read_holder(settings.warehouse)
    if holder is not None:
        raise WarehouseBusy(
            "the warehouse {path} is in use by {holder}; it cannot be read until that run ends",
            path=settings.warehouse,
            holder=holder.describe(),
        )
    known: dict[str, tuple[str, str, int, bool]] = {}
    state = None
    kinds: set[str] = set()
    if settings.warehouse.exists():
        records = connect_read_only(settings.warehouse)
        try:
            known = _ingested(records)
            state = warehouse_state(records)
            kinds = {kind for kind, _, _, removed in known.values() if not removed}
        finally:
            records.close()
    result.files = _plan(inputs, known, settings, log)
    for f in result.files:
        if f.status == "to_ingest":
            f.status = "would_ingest"
            kinds.add(f.kind or "")
    new = result.count("would_ingest")
    facilities = bool(kinds & {"facilities", "facility-counts"})
    claims = "claims" in kinds
    if facilities or claims:
        for choice in _choices(settings):
            folder = settings.out_dir / choice.set_name
            if not new and _is_current(settings, choice, state):
                result.exports.append(ExportOutcome(choice, folder, "current"))
            else:
                files = _planned_files(choice, facilities=facilities, claims=claims)
                result.exports.append(ExportOutcome(choice, folder, "would_write", files))
    if result.count("refused"):
        result.exit_code = 1
        result.error = t(
            "{count} file(s) not recognised: a run would stop", count=result.count("refused")
        )
    return result
