"""Running the warehouse: `zaitaku status`, `zaitaku remove` (and, later, refresh, runs)."""

from __future__ import annotations

from typing import Annotated

import typer

from zaitaku_cli.cli.common import (
    JsonOpt,
    LogOpt,
    QuietOpt,
    WarehouseOpt,
    handles_errors,
    open_warehouse,
)
from zaitaku_cli.console import Output, frame_table
from zaitaku_cli.i18n import N_, t


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
    with open_warehouse(warehouse, must_exist=True) as wh:
        removal = remove_ingest(wh, target, dry_run=dry_run)
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
