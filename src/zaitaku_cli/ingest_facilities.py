"""`ingest facilities`: bureau lists (届出受理医療機関名簿) → facility_notifications.

One transaction per file: read (readers.bureau_list) → keep 区分 医科 → collapse 備考 duplicates
→ validate keys → parse 算定開始年月日 → address → code5 (geo) → 受理記号 → category by the list
date (sql/staging/stg_facility_notifications.sql) → insert from Arrow. Rejected rows go to
`rejects` with their sheet row; an identical file (same sha256) is recognised and not loaded
twice. All row work is column-wise (polars, DuckDB); Python loops only over distinct values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from zaitaku_cli.errors import InputError, WarehouseError
from zaitaku_cli.geo import resolve_addresses
from zaitaku_cli.i18n import N_, join, stored, t
from zaitaku_cli.pref_codes import PREF_CODES
from zaitaku_cli.progress import NoProgress, Progress
from zaitaku_cli.readers.bureau_list import (
    BureauList,
    bureau_columns,
    facility_code10_expr,
    facility_no_expr,
    pref_code_expr,
    read_bureau_list,
)
from zaitaku_cli.readers.labels import normalize_label_expr
from zaitaku_cli.readers.wareki import parse_wareki_date
from zaitaku_cli.reference import municipalities
from zaitaku_cli.summary import IngestSummary
from zaitaku_cli.warehouse import IngestRecord, Warehouse, file_sha256

__all__ = ["KIND", "ingest_facility_list", "ingest_facility_lists"]

KIND = "facilities"
MEDICAL_KUBUN = "医科"
EXAMPLES = 5

# The notification key within one file: 備考 duplicates repeat all of it verbatim.
COLLAPSE_KEY = ["pref_code", "facility_no", "label_raw", "juri_no", "start_date_raw"]
# 取り下げ, 取下げ, 取下 (withdrawal) in either 備考 column.
WITHDRAWN_PATTERN = r"取り?下"

# Columns of facility_notifications, in the order of the migration.
TABLE_COLUMNS = [
    "ingest_id",
    "as_of",
    "source_row",
    "pref_code",
    "kubun",
    "facility_no",
    "facility_code10",
    "facility_name",
    "postal_code",
    "address",
    "beds",
    "notification_name",
    "label_raw",
    "label",
    "juri_no",
    "start_date",
    "start_date_raw",
    "remarks",
    "withdrawn",
    "category",
    "kyoka_rate",
    "code5",
]

_HEADER = {c.name: c.header for c in bureau_columns()}


@dataclass
class _Prepared:
    """One file after the column-wise work, ready for the staging SQL."""

    rows: pl.DataFrame  # one row per notification with valid keys (code5 may be null)
    rejects: pl.DataFrame  # rejects columns except ingest_id
    rows_read: int
    kubun_dropped: dict[str, int]
    remarks_collapsed: int
    bad_start_dates: pl.DataFrame  # source_file, source_row, start_date_raw
    without_notification: int  # short rows of 全医療機関出力 files: a facility, no 受理記号


# -- entry points -------------------------------------------------------------------------------


def ingest_facility_lists(
    wh: Warehouse,
    paths: Sequence[Path],
    *,
    as_of: date | None = None,
    allow_empty: bool = False,
    progress: Progress | None = None,
) -> list[IngestSummary]:
    """Ingest each bureau list in `paths` (each in its own transaction); one summary per file.

    `as_of` overrides the list date of the title rows (for every file). Raises ZaitakuError
    subclasses (InputError with file/row/column) and leaves the failing file unloaded; files
    before it stay loaded. A list with no data row is refused unless `allow_empty`.
    """
    progress = progress or NoProgress()
    return [
        ingest_facility_list(wh, Path(p), as_of=as_of, allow_empty=allow_empty, progress=progress)
        for p in paths
    ]


def ingest_facility_list(
    wh: Warehouse,
    path: Path,
    *,
    as_of: date | None = None,
    allow_empty: bool = False,
    progress: Progress | None = None,
) -> IngestSummary:
    """Ingest one bureau list file in one transaction and return what happened."""
    progress = progress or NoProgress()
    sha = file_sha256(path)
    try:
        # One transaction from the sha256 check to the last insert: a failure anywhere leaves
        # the warehouse as it was, and the check cannot race with the load.
        with wh.transaction():
            previous = wh.find_ingest(sha, KIND)
            if previous is not None:
                return _unchanged(path, sha, previous, as_of)
            # read, prepare, categorise, insert
            progress.start(t("Ingesting {file}", file=path.name), total=4)
            try:
                bureau = read_bureau_list(path, as_of=as_of)
                progress.advance()
                prepared = _prepare(bureau)
                _refuse_if_nothing_to_load(path, prepared, allow_empty=allow_empty)
                # The working frames hold what is needed from here on: free the raw rows
                # early (the 200,000-row benchmark has to stay under 1 GB).
                bureau.frame = bureau.frame.clear()
                progress.advance()
                return _load(wh, path, sha, bureau, prepared, progress)
            finally:
                progress.finish()
    except duckdb.Error as exc:
        raise WarehouseError(
            "{file}: could not load the list into the warehouse: {reason}", file=path, reason=exc
        ) from exc


def _refuse_if_nothing_to_load(path: Path, prepared: _Prepared, *, allow_empty: bool) -> None:
    """A list without data rows, or whose every row was rejected, is not a list to record.

    Recording it would mark the file as ingested (a later, fixed copy with the same name would
    look like a second snapshot) and would say 'loaded' in a nightly log about a file that
    holds nothing.
    """
    if prepared.rows_read == 0 and not allow_empty:
        raise InputError(
            "the list has a header but no data rows",
            file=path,
            hint="check that the export is complete, or pass --allow-empty to record it anyway",
        )
    if prepared.rows.height == 0 and prepared.rejects.height:
        first = prepared.rejects.row(0, named=True)
        reasons = prepared.rejects["reason"].value_counts(sort=True)
        top = "; ".join(f"{n:,} × {stored(reason)}" for reason, n in reasons.head(3).iter_rows())
        raise InputError(
            "none of its rows can be loaded: all {rejected:,} were rejected ({reasons}); "
            "first: {value!r}",
            file=path,
            rejected=prepared.rejects.height,
            reasons=top,
            value=first["value"],
            row=first["row_number"],
            column=first["column_name"],
            hint="is this the 医科 list of a 地方厚生局, with its columns in the published order?",
        )


def _unchanged(path: Path, sha: str, previous: IngestRecord, as_of: date | None) -> IngestSummary:
    # status "unchanged" is the message (the CLI prints it); details say which ingest it was.
    summary = IngestSummary(
        kind=KIND,
        file=str(path),
        sha256=sha,
        status="unchanged",
        as_of=previous.as_of,
        details={
            "ingest_id": previous.ingest_id,
            "previous_file": previous.file_name,
            "previous_ingested_at": previous.ingested_at.isoformat(timespec="seconds"),
            "previous_rows_loaded": previous.rows_loaded,
        },
    )
    if as_of is not None and previous.as_of is not None and as_of != previous.as_of:
        summary.warnings.append(
            t(
                "{file}: --as-of {as_of} ignored: this file was loaded before as {previous} "
                "(ingest #{ingest_id})",
                file=path.name,
                as_of=as_of,
                previous=previous.as_of,
                ingest_id=previous.ingest_id,
            )
        )
    return summary


# -- column-wise preparation ----------------------------------------------------------------------


def _json_string(expr: pl.Expr) -> pl.Expr:
    """A JSON string literal of a text column (cells hold no newlines, but be exact anyway)."""
    escaped = expr.str.replace_all("\\", "\\\\", literal=True).str.replace_all(
        '"', '\\"', literal=True
    )
    escaped = escaped.str.replace_all("\t", "\\t", literal=True).str.replace_all(
        "\n", "\\n", literal=True
    )
    escaped = escaped.str.replace_all("\r", "\\r", literal=True).str.replace_all(
        r"[\x00-\x08\x0b\x0c\x0e-\x1f]", ""
    )
    return pl.lit('"') + escaped + pl.lit('"')


def _raw_rows(bureau_frame: pl.DataFrame, rejected: pl.DataFrame) -> pl.DataFrame:
    """raw_row of each rejected (source_file, source_row): the row as printed, as a JSON object
    keyed by the Japanese headers. Built for the rejected rows only.
    """
    keys = rejected.select("file_name", "row_number").unique()
    raw = bureau_frame.join(
        keys,
        left_on=["source_file", "source_row"],
        right_on=["file_name", "row_number"],
        how="semi",
    )
    return raw.select(
        pl.col("source_file").alias("file_name"),
        pl.col("source_row").alias("row_number"),
        pl.struct([pl.col(c.name).alias(c.header) for c in bureau_columns()])
        .struct.json_encode()
        .alias("raw_row"),
    )


def _remarks(frame: pl.DataFrame) -> pl.DataFrame:
    """group_row → remarks JSON object {備考（見出し）: 備考（データ）} of every row of the group.

    A heading printed twice with different data keeps both values joined by '／', so the object
    never has duplicate keys. A value without heading goes under '備考'.
    """
    pairs = frame.filter(
        pl.col("remarks_heading").is_not_null() | pl.col("remarks_data").is_not_null()
    ).select(
        "group_row",
        "source_row",
        pl.col("remarks_heading").fill_null("備考").alias("heading"),
        pl.col("remarks_data").alias("data"),
    )
    if pairs.height == 0:
        return pl.DataFrame(schema={"group_row": pl.Int64, "remarks": pl.String})
    merged = (
        pairs.sort("group_row", "source_row")
        .group_by("group_row", "heading", maintain_order=True)
        .agg(pl.col("data").drop_nulls().unique(maintain_order=True).str.join("／"))
        .with_columns(pl.col("data").replace("", None))
    )
    fragments = merged.select(
        "group_row",
        (
            _json_string(pl.col("heading"))
            + pl.lit(":")
            + pl.when(pl.col("data").is_null())
            .then(pl.lit("null"))
            .otherwise(_json_string(pl.col("data")))
        ).alias("fragment"),
    )
    return fragments.group_by("group_row", maintain_order=True).agg(
        (pl.lit("{") + pl.col("fragment").str.join(",") + pl.lit("}")).first().alias("remarks")
    )


def _parse_start_dates(values: pl.Series) -> pl.DataFrame:
    """start_date_raw → start_date over the distinct values only (few even in big lists)."""
    distinct = values.drop_nulls().unique()
    return pl.DataFrame(
        {
            "start_date_raw": distinct,
            "start_date": [parse_wareki_date(v) for v in distinct.to_list()],
        },
        schema={"start_date_raw": pl.String, "start_date": pl.Date},
    )


def _reject_frame(frame: pl.DataFrame, *, column: str, reason: pl.Expr, value: str) -> pl.DataFrame:
    return frame.select(
        pl.lit(KIND).alias("kind"),
        pl.col("source_file").alias("file_name"),
        pl.col("source_row").alias("row_number"),
        pl.lit(_HEADER[column]).alias("column_name"),
        reason.alias("reason"),
        pl.col(value).alias("value"),
    )


# The columns the ingest works on; the others only travel to rejects.raw_row.
_WORK_COLUMNS = [
    "source_file",
    "source_row",
    "pref_code",
    "kubun",
    "facility_no",
    "facility_name",
    "postal_code",
    "address",
    "beds",
    "notification_name",
    "label_raw",
    "juri_no",
    "start_date_raw",
    "remarks_heading",
    "remarks_data",
]


def _prepare(bureau: BureauList) -> _Prepared:
    rows_read = bureau.frame.height

    # 区分: 中国四国 lists mix 歯科 and 薬局 rows into the 医科 list; only 医科 is home-care supply.
    kubun = normalize_label_expr(pl.col("kubun"))
    frame = bureau.frame.select(_WORK_COLUMNS).with_columns(kubun.alias("kubun"))
    dropped_counts = (
        frame.filter(pl.col("kubun").is_null() | (pl.col("kubun") != MEDICAL_KUBUN))
        .group_by(pl.col("kubun").fill_null("(空欄)"))
        .len()
        .sort("kubun")
    )
    kubun_dropped = dict(dropped_counts.iter_rows())

    # 備考 duplicates: a notification printed once more per 備考 item. The first sheet row stands
    # for the group; its 備考 pairs are gathered into one JSON object; a 取り下げ in any of them
    # marks the notification withdrawn.
    group = ["source_file", *COLLAPSE_KEY]
    says_withdrawn = (
        pl.col("remarks_heading").str.contains(WITHDRAWN_PATTERN)
        | pl.col("remarks_data").str.contains(WITHDRAWN_PATTERN)
    ).fill_null(False)
    frame = (
        frame.lazy()
        .filter(pl.col("kubun") == MEDICAL_KUBUN)
        .with_columns(
            pl.col("source_row").min().over(group).alias("group_row"),
            says_withdrawn.any().over(group).alias("withdrawn"),
        )
        .collect()
    )
    remarks = _remarks(frame)
    groups = frame.filter(pl.col("source_row") == pl.col("group_row"))
    remarks_collapsed = frame.height - groups.height
    del frame
    groups = groups.join(remarks, on="group_row", how="left").drop(
        "group_row", "remarks_heading", "remarks_data"
    )

    # Keys. 都道府県コード one digit → padded; 医療機関番号 up to 7 digits → padded (Excel drops
    # leading zeros); anything else is rejected with the printed value.
    groups = groups.with_columns(
        pref_code_expr().alias("pref_norm"),
        facility_no_expr().alias("facility_no_norm"),
        normalize_label_expr(pl.col("label_raw")).alias("label"),
    )
    bad_pref = ~pl.col("pref_norm").is_in(PREF_CODES).fill_null(False)
    bad_no = pl.col("facility_no_norm").is_null()
    no_label = pl.col("label").is_null() | (pl.col("label") == "")
    rejects = [
        _reject_frame(
            groups.filter(bad_pref),
            column="pref_code",
            reason=pl.lit(N_("都道府県コード is not a prefecture code 01–47")),
            value="pref_code",
        ),
        _reject_frame(
            groups.filter(~bad_pref & bad_no),
            column="facility_no",
            reason=pl.lit(N_("医療機関番号 is not a 7-digit number")),
            value="facility_no",
        ),
    ]
    # "全医療機関出力" files list every facility, those without any notification as short rows
    # with no 受理記号: they are not errors, just nothing to count (domain.md §2).
    without_notification = groups.filter(~bad_pref & ~bad_no & no_label).height
    valid = (
        groups.lazy()
        .filter(~bad_pref & ~bad_no & ~no_label)
        .with_columns(
            pl.col("pref_norm").alias("pref_code"), pl.col("facility_no_norm").alias("facility_no")
        )
        .drop("pref_norm", "facility_no_norm")
        .collect()
    )
    del groups

    # 算定開始年月日 is 和暦 text; an unreadable one keeps the row (it is an attribute, not a key).
    valid = valid.join(
        _parse_start_dates(valid["start_date_raw"]),
        on="start_date_raw",
        how="left",
        maintain_order="left",
    )
    bad_start_dates = valid.filter(
        pl.col("start_date_raw").is_not_null() & pl.col("start_date").is_null()
    ).select("source_file", "source_row", "start_date_raw")

    # Address → municipality (geo.py): 市町村コード is empty in every published list.
    valid = resolve_addresses(valid, pref_col="pref_code", address_col="address")
    rejects.append(
        _reject_frame(
            valid.filter(pl.col("code5").is_null()),
            column="address",
            reason=pl.col("geo_reason").fill_null(N_("address matches no municipality")),
            value="address",
        )
    )
    valid = valid.with_columns(facility_code10_expr().alias("facility_code10"))
    reject_frame = pl.concat(rejects).sort("file_name", "row_number")
    reject_frame = reject_frame.join(
        _raw_rows(bureau.frame, reject_frame),
        on=["file_name", "row_number"],
        how="left",
        maintain_order="left",
    )
    return _Prepared(
        rows=valid,
        rejects=reject_frame,
        rows_read=rows_read,
        kubun_dropped=kubun_dropped,
        remarks_collapsed=remarks_collapsed,
        bad_start_dates=bad_start_dates.sort("source_file", "source_row"),
        without_notification=without_notification,
    )


# -- loading --------------------------------------------------------------------------------------


# What the staging SQL receives from Python: the table's columns less those the load binds or
# the SQL derives (受理記号 → category by list date), plus the file a row came from.
_SET_BY_LOAD = {"ingest_id", "as_of", "category", "kyoka_rate"}
_STAGED_COLUMNS = ["source_file", *(c for c in TABLE_COLUMNS if c not in _SET_BY_LOAD)]


def _load(
    wh: Warehouse,
    path: Path,
    sha: str,
    bureau: BureauList,
    prepared: _Prepared,
    progress: Progress,
) -> IngestSummary:
    as_of = bureau.as_of
    assert as_of is not None  # read_bureau_list requires one
    with wh.inputs(bureau_rows=prepared.rows.select(_STAGED_COLUMNS).to_arrow()):
        staged = wh.materialize("staging/stg_facility_notifications", {"as_of": as_of})
    progress.advance()

    # The figures the analyst sees come from a narrow copy of the staged rows.
    facts = pl.from_arrow(wh.arrow("ingest/facility_notifications_facts"))
    assert isinstance(facts, pl.DataFrame)
    summary = _summarise(path, sha, bureau, prepared, facts)

    ingest_id = wh.new_ingest(
        kind=KIND,
        path=path,
        sha256=sha,
        as_of=as_of,
        pref_codes=summary.pref_codes,
        rows_read=summary.rows_read,
        rows_loaded=summary.rows_loaded,
        rows_rejected=summary.rows_rejected,
        details=summary.details,
    )
    inserted = wh.insert(
        "facility_notifications",
        "ingest/facility_notifications_new",
        {"ingest_id": ingest_id, "as_of": as_of},
    )
    wh.append(
        "rejects", prepared.rejects.with_columns(pl.lit(ingest_id).alias("ingest_id")).to_arrow()
    )
    wh.drop(staged)
    wh.update_ingest(ingest_id, rows_loaded=inserted, rows_rejected=prepared.rejects.height)
    summary.rows_loaded = inserted
    summary.details["ingest_id"] = ingest_id
    progress.advance()
    return summary


def _retired_wards(located: pl.DataFrame, as_of: date | None) -> dict[str, int]:
    """Addresses per ward name that is not in the municipality code list any more (the 7 浜松
    wards of before 2024-01-01), in a list dated on or after that code list."""
    muni = municipalities()
    listed = muni.filter(pl.col("status") == "current")["as_of"].max()
    if as_of is None or listed is None or as_of < date.fromisoformat(str(listed)):
        return {}
    old = muni.filter((pl.col("status") != "current") & (pl.col("kind") == "区"))
    found = (
        located.join(old.select("code5", "name"), on="code5", how="inner")
        .group_by("name")
        .len()
        .sort("name")
    )
    return dict(found.iter_rows())


def _summarise(
    path: Path, sha: str, bureau: BureauList, prepared: _Prepared, facts: pl.DataFrame
) -> IngestSummary:
    located = facts.filter(pl.col("located"))
    to_load = located.filter(~pl.col("already_present") & ~pl.col("repeated_in_file"))
    active = located.filter(~pl.col("withdrawn") & pl.col("category").is_not_null())
    pref_codes = sorted(located["pref_code"].unique().to_list())

    # Categories as the marts count them: distinct facilities, one 支援診/支援病 tier per
    # facility (the highest, 単独 1 > 連携 2 > 従来 3), withdrawn notifications left out.
    best = pl.col("tier").min().over("facility_code10", "tier_group")
    counted = active.filter(pl.col("tier_group").is_null() | (pl.col("tier") == best))
    categories = dict(
        counted.group_by("category")
        .agg(pl.col("facility_code10").n_unique())
        .sort("category")
        .iter_rows()
    )
    multi = (
        active.filter(pl.col("tier_group").is_not_null())
        .group_by("facility_code10", "tier_group")
        .agg(pl.col("tier").n_unique().alias("tiers"))
        .filter(pl.col("tiers") > 1)
    )
    multi_codes = sorted(multi["facility_code10"].unique().to_list())
    unknown = (
        facts.filter(pl.col("is_home_care_label") & ~pl.col("is_known_label"))
        .group_by("label_raw")
        .len()
        .sort("label_raw")
    )
    unknown_labels = dict(unknown.iter_rows())

    rejects = prepared.rejects
    reasons = dict(rejects.group_by("reason").len().sort("len", descending=True).iter_rows())
    examples = [
        {
            "file": r["file_name"],
            "row": r["row_number"],
            "column": r["column_name"],
            "value": r["value"],
            "reason": r["reason"],
        }
        for r in rejects.head(EXAMPLES).iter_rows(named=True)
    ]
    already = located.filter(pl.col("already_present")).height
    repeated = located.filter(pl.col("repeated_in_file") & ~pl.col("already_present")).height
    withdrawn = located.filter(pl.col("withdrawn")).height
    details: dict[str, Any] = {
        "categories": categories,
        "kubun_dropped": prepared.kubun_dropped,
        "remarks_collapsed": prepared.remarks_collapsed,
        "without_notification": prepared.without_notification,
        "withdrawn": withdrawn,
        "unknown_labels": unknown_labels,
        "multi_tier_facilities": len(multi_codes),
        "multi_tier_examples": multi_codes[:EXAMPLES],
        "already_present": already,
        "repeated_in_file": repeated,
        "bad_start_dates": prepared.bad_start_dates.height,
        "pref_codes": pref_codes,
        "as_of_source": bureau.as_of_source,
        "sheets": [
            {"file": s.source_file, "sheet": s.sheet, "header_row": s.header_row, "rows": s.rows}
            for s in bureau.sheets
        ],
    }
    warnings = list(bureau.warnings)
    if prepared.rows_read == 0:
        rows = join(
            t("{file} row {row}", file=s.source_file, row=s.header_row) for s in bureau.sheets
        )
        warnings.append(
            t("{file}: no data rows below the header ({rows})", file=path.name, rows=rows)
        )
    if unknown_labels:
        shown = join(
            t("{label} (1 row)" if v == 1 else "{label} ({rows} rows)", label=k, rows=v)
            for k, v in unknown_labels.items()
        )
        warnings.append(
            t(
                "{file}: home-care 受理記号 not known for {as_of}: {labels}; kept without a "
                "category — update reference/data/juri_kigo.csv if a revision added them",
                file=path.name,
                as_of=bureau.as_of,
                labels=shown,
            )
        )
    if multi_codes:
        warnings.append(
            t(
                "{file}: 1 facility holds two 支援診/支援病 tiers at once (e.g. {codes}); each "
                "is counted at its highest tier"
                if len(multi_codes) == 1
                else "{file}: {count} facilities hold two 支援診/支援病 tiers at once "
                "(e.g. {codes}); each is counted at its highest tier",
                file=path.name,
                count=len(multi_codes),
                codes=join(multi_codes[:EXAMPLES]),
            )
        )
    if prepared.bad_start_dates.height:
        first = prepared.bad_start_dates.row(0, named=True)
        warnings.append(
            t(
                "{file}: 1 row has an 算定開始年月日 that is not a date (first: row {first}, "
                "{value!r}); kept with start_date empty"
                if prepared.bad_start_dates.height == 1
                else "{file}: {count} rows have an 算定開始年月日 that is not a date (first: "
                "row {first}, {value!r}); kept with start_date empty",
                file=first["source_file"],
                count=prepared.bad_start_dates.height,
                first=first["source_row"],
                value=first["start_date_raw"],
            )
        )
    if already:
        warnings.append(
            t(
                "{file}: 1 notification was already loaded for {as_of} from another file; "
                "skipped so that nothing is counted twice"
                if already == 1
                else "{file}: {count} notifications were already loaded for {as_of} from "
                "another file; skipped so that nothing is counted twice",
                file=path.name,
                count=already,
                as_of=bureau.as_of,
            )
        )
    if repeated:
        warnings.append(
            t(
                "{file}: 1 notification appears in more than one member of the file; loaded once"
                if repeated == 1
                else "{file}: {count} notifications appear in more than one member of the "
                "file; loaded once",
                file=path.name,
                count=repeated,
            )
        )
    if prepared.kubun_dropped:
        shown = join(f"{k} {v}" for k, v in prepared.kubun_dropped.items())
        warnings.append(
            t("{file}: rows other than 区分 医科 left out: {kubun}", file=path.name, kubun=shown)
        )
    retired = _retired_wards(located, bureau.as_of)
    if retired:
        shown = join(f"{name} ({n})" for name, n in retired.items())
        addresses = sum(retired.values())
        warnings.append(
            t(
                "{file}: 1 address names a ward abolished before this list of {as_of}: "
                "{wards}; at ward level they count under the old ward, at municipality level "
                "under their city"
                if addresses == 1
                else "{file}: {count} addresses name a ward abolished before this list of "
                "{as_of}: {wards}; at ward level they count under the old ward, at "
                "municipality level under their city",
                file=path.name,
                count=addresses,
                as_of=bureau.as_of,
                wards=shown,
            )
        )
    # domain.md §2 sanity check: 従来型 far outnumbers 単独型 (5,081 vs 137 in 2025).
    jurai = categories.get("shienshin_jurai", 0)
    tandoku = categories.get("shienshin_tandoku", 0)
    if tandoku >= 5 and jurai < tandoku:
        warnings.append(
            t(
                "{file}: only {jurai} 支援診３ against {tandoku} 支援診１ facilities; "
                "usually 支援診３ far outnumbers 支援診１ — check that the 受理記号 column is "
                "the right one",
                file=path.name,
                jurai=jurai,
                tandoku=tandoku,
            )
        )
    return IngestSummary(
        kind=KIND,
        file=str(path),
        sha256=sha,
        status="loaded",
        as_of=bureau.as_of,
        pref_codes=pref_codes,
        rows_read=prepared.rows_read,
        rows_loaded=to_load.height,
        rows_rejected=rejects.height,
        reject_reasons=reasons,
        reject_examples=examples,
        warnings=warnings,
        details=json.loads(json.dumps(details, ensure_ascii=False, default=str)),
    )
