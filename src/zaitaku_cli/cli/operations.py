"""Running the warehouse: `zaitaku status` (and, later, refresh, remove, runs)."""

from __future__ import annotations

from zaitaku_cli.cli.common import JsonOpt, LogOpt, WarehouseOpt, handles_errors, open_warehouse
from zaitaku_cli.console import Output, frame_table


@handles_errors
def status_cmd(
    warehouse: WarehouseOpt = None, as_json: JsonOpt = False, log: LogOpt = None
) -> None:
    """What the warehouse holds: every ingested file with its sha256, as-of date and row counts."""
    out = Output(as_json=as_json)
    with open_warehouse(warehouse, must_exist=True) as wh:
        rows = wh.ingests()
    if as_json:
        out.json(rows)
        return
    cols = ["ingest_id", "kind", "file_name", "as_of", "rows_read", "rows_loaded", "rows_rejected"]
    out.print(frame_table("Ingested files", cols, [[r[c] for c in cols] for r in rows]))
