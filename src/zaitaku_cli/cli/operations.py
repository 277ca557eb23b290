"""Running the warehouse: `zaitaku status`, `refresh` (the nightly job), `runs`, `remove`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from zaitaku_cli.cli.common import (
    JsonOpt,
    LogOpt,
    QuietOpt,
    WarehouseOpt,
    handles_errors,
    open_run_log,
    open_warehouse,
    warehouse_run,
)
from zaitaku_cli.config import resolve_settings
from zaitaku_cli.console import Output, frame_table, log_note, use_log
from zaitaku_cli.errors import WarehouseBusy
from zaitaku_cli.i18n import N_, join, t


@handles_errors
def status_cmd(
    warehouse: WarehouseOpt = None, as_json: JsonOpt = False, log: LogOpt = None
) -> None:
    """What the warehouse holds: every ingested file with its sha256, as-of date and row counts.

    `state` is loaded, removed (`zaitaku remove`), replaced or partly replaced (a later file
    superseded its rows: claims with `--replace`, or a count table for the same date).
    """
    out = Output(as_json=as_json)
    with open_warehouse(warehouse, must_exist=True) as wh:
        rows = wh.ingests()
    if as_json:
        out.json(rows)
        return
    cols = {
        "ingest_id": N_("ingest_id"),
        "kind": N_("kind"),
        "file_name": N_("file_name"),
        "as_of": N_("as_of"),
        "rows_read": N_("rows_read"),
        "rows_loaded": N_("rows_loaded"),
        "rows_rejected": N_("rows_rejected"),
        "state": N_("state"),
    }
    out.print(
        frame_table(
            t("Ingested files"),
            [t(header) for header in cols.values()],
            [[r[c] for c in cols] for r in rows],
        )
    )


@handles_errors
def refresh_cmd(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="The job's settings (see examples/zaitaku.example.toml). Default: "
            "$ZAITAKU_CONFIG, then ./zaitaku.toml.",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="List what would be ingested and written; change nothing (the warehouse is "
            "only read).",
        ),
    ] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Output folder (default: out_dir of the config).", show_default=False
        ),
    ] = None,
    warehouse: WarehouseOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    log: LogOpt = None,
) -> None:
    """The nightly job: ingest what is new in the input folders, then publish every export.

    The config names input folders per kind, or one drop folder whose files are recognised by
    their content. Only new or changed files are ingested (a sha256 already in the ingest log
    is skipped), by kind then by name; then every configured level × plan × period is exported
    as one output set. A file that fails to ingest stops the run before any export (exit 1):
    the files before it stay loaded, the outputs stay as they were. With nothing new the run
    changes nothing and exits 0. A second run while one is going exits 75 at once, naming it.
    """
    from zaitaku_cli.config import resolve_refresh_settings
    from zaitaku_cli.refresh import refresh

    out = Output(quiet=quiet, as_json=as_json)
    settings = resolve_refresh_settings(
        config=config, warehouse=warehouse, out_dir=out_dir, log=log
    )
    # the log the job's own config names (the error handling opened ./zaitaku.toml's)
    use_log(open_run_log(settings.log))
    log_note(
        t(
            "start (dry run): config {config}, warehouse {warehouse}, out {out}"
            if dry_run
            else "start: config {config}, warehouse {warehouse}, out {out}",
            config=settings.config_file,
            warehouse=settings.warehouse,
            out=settings.out_dir,
        )
    )
    result = refresh(settings, dry_run=dry_run, progress=out.progress(), log=log_note)
    for export in result.exports:
        log_note(f"{export.status} {export.folder}")
    if out.as_json:
        out.json(result.to_dict())
    else:
        _render_refresh(out, result)
    for warning in result.warnings:
        out.warn(warning)  # on the terminal unless -q/--json; in the log always
    log_note(
        t(
            "end: {status} (exit {code}) in {seconds:.1f} s",
            status=result.status,
            code=result.exit_code,
            seconds=result.seconds,
        )
    )
    if result.error:
        out.error(result.error)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def _render_refresh(out: Output, result: Any) -> None:
    shown = [f for f in result.files if f.status not in ("unchanged", "duplicate")]
    if shown:
        rows = []
        for f in shown:
            s = f.summary
            rows.append(
                (
                    f.path.name,
                    f.kind or "-",
                    f.status,
                    f"{s.rows_loaded:,}" if s else "-",
                    f"{s.rows_rejected:,}" if s else "-",
                    f.reason
                    if f.status in ("refused", "failed", "removed", "would_ingest")
                    else "",
                )
            )
        title = t("Refresh (dry run): files") if result.dry_run else t("Refresh: files")
        headers = [
            N_("file"),
            N_("kind"),
            N_("status"),
            N_("loaded"),
            N_("rejected"),
            N_("why"),
        ]
        out.print(frame_table(title, [t(h) for h in headers], rows))
    skipped = result.count("unchanged") + result.count("duplicate")
    if skipped:
        out.print(t("{count} file(s) already ingested (same sha256): skipped.", count=skipped))
    if result.exports:
        out.print(
            frame_table(
                t("Exports"),
                [t("set"), t("status"), t("folder")],
                [(e.choice.set_name, e.status, str(e.folder)) for e in result.exports],
            )
        )
    if result.status == "nothing_new":
        out.print(
            t(
                "Nothing new: every input file was ingested before and every export is current "
                "({seconds:.1f} s).",
                seconds=result.seconds,
            )
        )
    elif result.status == "ok":
        written = sum(e.status == "written" for e in result.exports)
        out.print(
            t(
                "Done in {seconds:.1f} s: {files} file(s) ingested, {sets} output set(s) written.",
                seconds=result.seconds,
                files=result.count("ingested"),
                sets=written,
            )
        )
    elif result.dry_run and not result.error:
        out.print(t("Dry run: nothing was changed."))


@handles_errors
def runs_cmd(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many runs to show.")] = 20,
    warehouse: WarehouseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Recent runs against the warehouse (refresh, ingest, aggregate), newest first."""
    from zaitaku_cli.run_history import recent_runs
    from zaitaku_cli.run_lock import read_holder
    from zaitaku_cli.warehouse import connect_read_only

    out = Output(as_json=as_json)
    path = resolve_settings(warehouse=warehouse).warehouse
    holder = read_holder(path)
    if holder is not None:
        raise WarehouseBusy(
            "the warehouse {path} is in use by {holder}; its history can be read when that run "
            "ends",
            path=path,
            holder=holder.describe(),
        )
    records = connect_read_only(path)
    try:
        runs = recent_runs(records, limit)
    finally:
        records.close()
    if as_json:
        out.json(runs)
        return

    def files(run: dict[str, Any]) -> str:
        counts: dict[str, int] = {}
        for f in run["files"]:
            counts[f["status"]] = counts.get(f["status"], 0) + 1
        return join(f"{n} {status}" for status, n in counts.items()) or "-"

    rows = [
        (
            r["run_id"],
            r["command"],
            f"{r['started_at']:%Y-%m-%d %H:%M:%S}",
            "-" if r["seconds"] is None else f"{r['seconds']:.1f}",
            r["status"],
            "-" if r["exit_code"] is None else r["exit_code"],
            files(r),
            len(r["outputs"]),
            len(r["warnings"]),
            (r["error"] or "")[:120],
        )
        for r in runs
    ]
    cols = [
        N_("run"),
        N_("command"),
        N_("started"),
        N_("s"),
        N_("status"),
        N_("exit"),
        N_("files"),
        N_("outputs"),
        N_("warn"),
        N_("error"),
    ]
    out.print(
        frame_table(t("Runs of {path} (newest first)", path=path), [t(c) for c in cols], rows)
    )


@handles_errors
def remove_cmd(
    target: Annotated[
        str,
        typer.Argument(
            help="The file to take out: its path (matched by content, then by the path it was "
            "ingested from), its file name, or its ingest id as `zaitaku status` lists it.",
            show_default=False,
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be removed; change nothing.")
    ] = False,
    warehouse: WarehouseOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    log: LogOpt = None,
) -> None:
    """Take an ingested file back out: its rows and rejects go, in one transaction.

    Works for every kind (facilities, facility-counts, claims) and asks no question, so that a
    cron job can run it. The file stays in `zaitaku status` as removed; ingesting it again loads
    it again. Removing a file already removed is no error (exit 0). A name that matches several
    files still in the warehouse is refused: name one by its ingest id.
    """
    from zaitaku_cli.remove import remove_ingest

    out = Output(quiet=quiet, as_json=as_json)
    if dry_run:
        with open_warehouse(warehouse, must_exist=True) as wh:
            removal = remove_ingest(wh, target, dry_run=True)
    else:
        with warehouse_run(warehouse, f"zaitaku remove {target}", must_exist=True) as (wh, run):
            removal = remove_ingest(wh, target)
            run.files = [removal.to_dict()]
            run.warnings = removal.warnings
    if as_json:
        out.json({"removal": removal.to_dict()})
        return
    what = t(
        "{file} (ingest {ingest_id}, {kind})",
        file=removal.file_name,
        ingest_id=removal.ingest_id,
        kind=removal.kind,
    )
    if removal.status == "already removed":
        assert removal.removed_at is not None
        out.print(
            t(
                "{what} was already removed on {when}; nothing to do.",
                what=what,
                when=f"{removal.removed_at:%Y-%m-%d %H:%M}",
            )
        )
        return
    if removal.kind == "claims":
        counted = t(
            "{rows:,} claim lines, {rejects:,} rejects", rows=removal.rows, rejects=removal.rejects
        )
    elif removal.kind == "facilities":
        counted = t(
            "{rows:,} notifications, {rejects:,} rejects",
            rows=removal.rows,
            rejects=removal.rejects,
        )
    else:
        counted = t(
            "{rows:,} rows, {rejects:,} rejects", rows=removal.rows, rejects=removal.rejects
        )
    if removal.status == "would remove":
        out.print(
            t(
                "Would remove {what}: {counted}. Nothing was changed (--dry-run).",
                what=what,
                counted=counted,
            )
        )
    elif removal.kind == "claims":
        out.print(
            t(
                "Removed {what}: {counted}; {persons:,} persons no longer referenced.",
                what=what,
                counted=counted,
                persons=removal.persons_pruned,
            )
        )
    else:
        out.print(t("Removed {what}: {counted}.", what=what, counted=counted))
    for warning in removal.warnings:
        out.warn(warning)
