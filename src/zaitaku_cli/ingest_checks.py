"""What the ingests of small analyst tables share (population, enrolment, survey, hubs): row
checks that name row, column and reason; rejects kept in the warehouse; a refused file recorded
with its problems; an identical file recognised as unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from zaitaku_cli.errors import InputError
from zaitaku_cli.i18n import N_, join, stored, t
from zaitaku_cli.readers.wareki import parse_wareki_date
from zaitaku_cli.summary import IngestSummary
from zaitaku_cli.warehouse import Warehouse

__all__ = [
    "REJECT_SCHEMA",
    "SHOW",
    "RowCheck",
    "insert_rejects",
    "refuse_file",
    "replace_rows",
    "row_rejects",
    "still_loaded",
    "table_date",
    "unchanged_summary",
]

# how many problems an error message names before "and N more"
SHOW = 3

REJECT_SCHEMA = {
    "row_number": pl.Int64,
    "column_name": pl.String,
    "reason": pl.String,
    "value": pl.String,
    "raw_row": pl.String,
}

# the tables whose rows say that an ingest is still loaded (names, never values, in the SQL)
_ROW_TABLES = frozenset(
    {"facility_counts", "population_tables", "enrolment", "survey_responses", "hub_areas"}
)


@dataclass(frozen=True)
class RowCheck:
    """One row check: rows where `bad` is true are rejected for `column` with `reason`."""

    column: str
    bad: pl.Expr
    reason: pl.Expr
    value: pl.Expr


def row_rejects(frame: pl.DataFrame, checks: list[RowCheck]) -> pl.DataFrame:
    """Every failed check of every row (a row may fail several), in file order."""
    parts = [
        frame.filter(check.bad.fill_null(False)).select(
            pl.col("source_row").alias("row_number"),
            pl.lit(check.column).alias("column_name"),
            check.reason.alias("reason"),
            check.value.cast(pl.String).alias("value"),
            "raw_row",
        )
        for check in checks
    ]
    found = pl.concat(parts) if parts else pl.DataFrame(schema=REJECT_SCHEMA)
    return found.cast(REJECT_SCHEMA).sort("row_number", maintain_order=True)  # type: ignore[arg-type]


def still_loaded(wh: Warehouse, sha: str, kind: str, table: str) -> tuple[Any, ...] | None:
    """The latest ingest of this exact file whose rows are still loaded (a refused or replaced
    one does not count: loading it again is how an analyst reverts to it)."""
    assert table in _ROW_TABLES
    return wh.still_loaded(sha, kind, table)


def unchanged_summary(kind: str, path: Path, sha: str, previous: tuple[Any, ...]) -> IngestSummary:
    ingest_id, as_of, prefs, file_name = previous
    summary = IngestSummary(
        kind=kind,
        file=str(path),
        sha256=sha,
        status="unchanged",
        as_of=as_of,
        pref_codes=[p for p in str(prefs or "").split(",") if p],
    )
    if file_name != path.name:
        summary.warnings.append(
            t(
                "the same bytes were loaded as {file} (ingest {ingest_id})",
                file=file_name,
                ingest_id=ingest_id,
            )
        )
    return summary


def insert_rejects(
    wh: Warehouse, ingest_id: int, kind: str, path: Path, rejects: pl.DataFrame
) -> None:
    """Keep `rejects` (REJECT_SCHEMA) under `ingest_id`, inside the caller's transaction."""
    incoming = rejects.select(
        pl.lit(ingest_id, dtype=pl.Int32).alias("ingest_id"),
        pl.lit(kind).alias("kind"),
        pl.lit(path.name).alias("file_name"),
        "row_number",
        "column_name",
        "reason",
        "value",
        "raw_row",
    ).to_arrow()
    wh.append("rejects", incoming)


def replace_rows(
    wh: Warehouse, table: str, keys: pl.DataFrame, *, distinct: str | None = None
) -> list[tuple[int, str, int]]:
    """Delete the rows of `table` that a new file replaces, those equal to a row of `keys` on
    its columns (null equal to null), inside the caller's transaction. Return what each earlier
    ingest lost, in ingest order: (ingest id, file name, rows, or distinct values of the column
    `distinct`), for the warnings and the ingest log."""
    on = keys.columns
    with wh.inputs(replaced_keys=keys.unique().to_arrow()):
        replaced = wh.ingests_matching(table, "replaced_keys", on, distinct=distinct)
        if replaced:
            wh.delete_matching(table, "replaced_keys", on)
    return replaced


def refuse_file(
    wh: Warehouse, kind: str, path: Path, sha: str, rows_read: int, rejects: pl.DataFrame
) -> None:
    """Keep the rejects (under an ingest that loaded nothing) and raise naming the first."""
    bad_rows = rejects["row_number"].n_unique()
    reasons = dict(
        rejects.group_by("column_name")
        .len()
        .sort(["len", "column_name"], descending=[True, False])
        .rows()
    )
    with wh.transaction():
        ingest_id = wh.new_ingest(
            kind=kind,
            path=path,
            sha256=sha,
            as_of=None,
            pref_codes=[],
            rows_read=rows_read,
            rows_loaded=0,
            rows_rejected=bad_rows,
            details={"status": "refused", "problems_by_column": reasons},
        )
        insert_rejects(wh, ingest_id, kind, path, rejects)
    first = rejects.row(0, named=True)
    # reasons are kept in English in the warehouse and shown in the run's language
    others = "; ".join(
        t(
            "row {row}, column {column}: {reason}",
            row=r["row_number"],
            column=r["column_name"],
            reason=stored(r["reason"]),
        )
        for r in rejects.slice(1, SHOW - 1).iter_rows(named=True)
    )
    if rejects.height == 1:
        message = N_("{reason} (value {value!r})")
    elif bad_rows == 1:
        message = N_("{reason} (value {value!r}) ({problems} problems in 1 row); also {others}")
    else:
        message = N_(
            "{reason} (value {value!r}) ({problems} problems in {rows} rows); also {others}"
        )
    raise InputError(
        message,
        file=path,
        row=first["row_number"],
        column=first["column_name"],
        hint="nothing of the file was loaded; every problem is in table rejects "
        "(ingest {ingest_id})",
        reason=stored(first["reason"]),
        value=first["value"],
        problems=rejects.height,
        rows=bad_rows,
        others=others,
        ingest_id=ingest_id,
    )


def _day(text: str) -> date | None:
    # an Excel date cell read as text carries a time: 2025-09-01 00:00:00
    return parse_wareki_date(text.strip().split(" ")[0].split("T")[0])


def table_date(
    frame: pl.DataFrame,
    headers: dict[str, str],
    *,
    given: date | None,
    path: Path,
    warnings: list[str],
    label: str = "調査時点",
) -> date:
    """The one date of a table: `given` (--as-of) if any, else its `as_of` column's, which must
    hold one date (blank cells take it). Raises InputError naming the row of a bad or second
    date, or saying how to give one."""
    column = headers.get("as_of")
    if given is not None:
        if column is not None:
            written = sorted({v for v in frame["as_of"].to_list() if v})
            if written and [str(_day(v)) for v in written] != [given.isoformat()]:
                warnings.append(
                    t(
                        "the {column} column says {dates}; --as-of {given} used",
                        column=column,
                        dates=join(written),
                        given=given,
                    )
                )
        return given
    if column is None:
        raise InputError(
            "no {label} (date) column",
            file=path,
            hint="add a {label} column or pass --as-of YYYY-MM-DD",
            label=label,
        )
    found: dict[date, int] = {}
    for text, row in frame.select("as_of", "source_row").iter_rows():
        if not text:
            continue
        day = _day(text)
        if day is None:
            raise InputError(
                "{value!r} is not a date (2025-09-01, 2025/9/1 or 令和7年9月1日)",
                value=text,
                file=path,
                row=row,
                column=column,
            )
        found.setdefault(day, row)
    if not found:
        raise InputError(
            "the {name} column is empty", name=column, file=path, column=column, hint="pass --as-of"
        )
    if len(found) > 1:
        first, second = sorted(found.items(), key=lambda kv: kv[1])[:2]
        raise InputError(
            "the table holds several dates ({first} from row {first_row}, {second})",
            first=first[0],
            first_row=first[1],
            second=second[0],
            file=path,
            row=second[1],
            column=column,
            hint="load one table per date, or pass --as-of",
        )
    return next(iter(found))
