"""Load the prefecture's facility survey (`zaitaku ingest survey`): 訪問診療の実施可能件数 and
参入意向 per facility (seed 002 (3)②), each facility found in the bureau lists.

A row names its facility by 医療機関コード, else by 医療機関名 + 所在地 (facility_match). Rows
that match no facility, match several, or hold a bad value are rejected with the reason and
kept in `rejects`; the others load. A facility answers once per survey date: a later file of the
same date (a corrected or a second batch) replaces that facility's earlier answer. Per
prefecture the survey of the newest date is the one `supply` uses
(sql/staging/stg_survey_responses.sql).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from zaitaku_cli.errors import InputError
from zaitaku_cli.facility_match import match_facilities
from zaitaku_cli.geo import resolve_addresses
from zaitaku_cli.i18n import N_, join, polars_format, stored, t
from zaitaku_cli.ingest_checks import (
    REJECT_SCHEMA,
    RowCheck,
    insert_rejects,
    refuse_file,
    replace_rows,
    row_rejects,
    still_loaded,
    table_date,
    unchanged_summary,
)
from zaitaku_cli.readers.survey import INTENTIONS, SURVEY
from zaitaku_cli.summary import IngestSummary
from zaitaku_cli.warehouse import Warehouse, file_sha256

__all__ = ["KIND_SURVEY", "ingest_survey"]

KIND_SURVEY = "survey"
_EXAMPLES = 5

# 12件, １２, 1,200 人: a whole number, maybe with a unit the survey form printed
_CAPACITY = r"^([0-9]+)(件|人|名)?$"


def _capacity_expr() -> pl.Expr:
    text = pl.col("capacity").str.normalize("NFKC").str.replace_all(r"[\s,]", "")
    return text.str.extract(_CAPACITY, 1).cast(pl.Int64, strict=False)


def _checks(headers: dict[str, str]) -> list[RowCheck]:
    # reasons are kept in English (rejects; _reasons groups them) and shown translated
    capacity = headers["capacity"]
    checks = [
        RowCheck(
            capacity,
            (pl.col("capacity") != "") & pl.col("capacity_value").is_null(),
            polars_format(
                N_("{column} must be a whole number of 0 or more (e.g. 12 or 12件)"),
                column=pl.lit(capacity),
            ),
            pl.col("capacity"),
        ),
    ]
    if "intention" in headers:
        intention = headers["intention"]
        checks.append(
            RowCheck(
                intention,
                (pl.col("intention") != "") & ~pl.col("intention").is_in(INTENTIONS),
                polars_format(
                    N_(
                        "{column} must be one of {choices} (map yours with --mapping "
                        '[values."参入意向"])'
                    ),
                    column=pl.lit(intention),
                    choices=pl.lit(", ".join(INTENTIONS)),
                ),
                pl.col("intention_raw"),
            )
        )
        unanswered = (pl.col("capacity") == "") & (pl.col("intention") == "")
        reason = polars_format(
            N_("no answer: {capacity} and {intention} are both empty"),
            capacity=pl.lit(capacity),
            intention=pl.lit(intention),
        )
    else:
        unanswered = pl.col("capacity") == ""
        reason = polars_format(N_("no answer: {capacity} is empty"), capacity=pl.lit(capacity))
    checks.append(RowCheck(capacity, unanswered, reason, pl.lit("")))
    return checks


def _scope(rows: pl.DataFrame, registry: pl.DataFrame, pref_code: str | None) -> pl.Series:
    """Per row, the prefecture to look its name and address up in: --pref; else the one
    prefecture of the bureau lists whose municipalities the address starts with (盛岡市… →
    03); null when none or several do (the row's reason then says to pass --pref)."""
    if pref_code is not None:
        return pl.Series("scope", [pref_code] * rows.height, dtype=pl.String)
    prefs = sorted(set(registry["pref_code"].to_list()))
    tried = resolve_addresses(
        rows.select("row_id", "address").join(
            pl.DataFrame({"pref_code": prefs}, schema={"pref_code": pl.String}), how="cross"
        ),
        pref_col="pref_code",
        address_col="address",
    )
    found = (
        tried.filter(pl.col("code5").is_not_null())
        .group_by("row_id")
        .agg(pl.col("pref_code").unique().alias("prefs"))
        .filter(pl.col("prefs").list.len() == 1)
        .select("row_id", pl.col("prefs").list.first().alias("scope"))
    )
    return rows.select("row_id").join(found, on="row_id", how="left", maintain_order="left")[
        "scope"
    ]


def ingest_survey(
    wh: Warehouse,
    path: Path,
    *,
    mapping: Path | None = None,
    as_of: date | None = None,
    pref_code: str | None = None,
) -> IngestSummary:
    """Check and load one facility survey; rejected rows are kept with the reason.

    `mapping` maps other headers and 参入意向 spellings (examples/survey_mapping.example.toml);
    `as_of` gives the survey date when the file has no 調査時点 column (and wins over it);
    `pref_code` is the prefecture whose bureau lists rows without a code are looked up in
    (default: the one prefecture of the lists whose municipality names the address starts
    with).
    """
    sha = file_sha256(path)
    previous = still_loaded(wh, sha, KIND_SURVEY, "survey_responses")
    if previous is not None:
        return unchanged_summary(KIND_SURVEY, path, sha, previous)

    table = SURVEY.read(path, SURVEY.read_mapping(mapping))
    headers = table.headers
    if "facility_code" not in headers and not {"facility_name", "address"} <= set(headers):
        raise InputError(
            "the survey names no facility: it needs a 医療機関コード column, or 医療機関名 and "
            "所在地 (headers found: {headers})",
            headers=join(table.ignored),
            file=path,
            hint="map your headers with --mapping [columns], e.g. "
            '"医療機関番号(10桁)" = "医療機関コード"',
        )
    frame = table.rows.with_columns(
        pl.lit("").alias(key)
        for key in ("facility_code", "facility_name", "address", "intention")
        if key not in headers
    )
    warnings: list[str] = []
    day = table_date(frame, headers, given=as_of, path=path, warnings=warnings)
    wh.materialize("staging/stg_claim_facility_locations")
    registry = wh.arrow("staging/stg_facility_registry")
    if registry.num_rows == 0:
        raise InputError(
            "no bureau list is ingested: survey rows are matched to the facilities of the "
            "届出受理医療機関名簿",
            file=path,
            hint="run `zaitaku ingest facilities` first",
        )
    listed = pl.from_arrow(registry)
    assert isinstance(listed, pl.DataFrame)

    frame = frame.with_columns(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("row_id"),
        pl.col("intention").alias("intention_raw"),
        _capacity_expr().alias("capacity_value"),
    )
    matches = match_facilities(
        frame.select(
            "row_id",
            _scope(frame, listed, pref_code).alias("pref_code"),
            pl.col("facility_code").alias("code"),
            pl.col("facility_name").alias("name"),
            pl.col("address"),
        ),
        listed,
    )
    rows = frame.join(matches, on="row_id", how="left", maintain_order="left")
    rows = rows.with_columns(
        pl.when(pl.col("facility_code10").is_not_null())
        .then(pl.col("source_row").min().over("facility_code10"))
        .alias("first_row")
    )
    facility_column = headers.get("facility_code") or headers["facility_name"]
    checks = [
        *_checks(headers),
        RowCheck(
            facility_column,
            pl.col("facility_code10").is_null(),
            pl.col("reason"),
            pl.when(pl.col("facility_code") != "")
            .then(pl.col("facility_code"))
            .otherwise(pl.col("facility_name")),
        ),
        RowCheck(
            facility_column,
            pl.col("first_row") != pl.col("source_row"),
            polars_format(
                N_("the same facility ({code}) as row {row}: a facility answers once per survey"),
                code=pl.col("facility_code10"),
                row=pl.col("first_row"),
            ),
            pl.col("facility_code10"),
        ),
    ]
    rejects = row_rejects(rows, checks)
    good = rows.join(
        rejects.select(pl.col("row_number").alias("source_row")).unique(),
        on="source_row",
        how="anti",
        maintain_order="left",
    )
    if good.is_empty():
        refuse_file(wh, KIND_SURVEY, path, sha, rows.height, rejects)
    padded = good.filter(
        (pl.col("matched_by") == "code")
        & pl.col("facility_code").str.normalize("NFKC").str.contains(r"^\s*\d{9}\s*$")
    ).height
    if padded:
        warnings.append(
            t(
                "{count} 医療機関コード had 9 digits (the leading zero lost in Excel?) and were "
                "read with a 0 in front",
                count=padded,
            )
        )
    for note in good["note"].drop_nulls().head(_EXAMPLES).to_list():
        warnings.append(stored(note))
    typed = good.select(
        "source_row",
        pl.lit(day).alias("as_of"),
        "pref_code",
        "facility_code10",
        "code5",
        "matched_by",
        pl.col("facility_name").alias("name_given"),
        pl.col("address").alias("address_given"),
        pl.col("capacity_value").alias("capacity"),
        pl.when(pl.col("intention") != "").then(pl.col("intention")).alias("intention"),
        pl.when(pl.col("intention_raw") != "").then(pl.col("intention_raw")).alias("intention_raw"),
    )
    prefs = sorted(typed["pref_code"].unique().to_list())
    details: dict[str, Any] = {
        "encoding": table.encoding,
        "sheet": table.sheet,
        "columns": headers,
        "columns_not_used": table.ignored,
        "prefectures": prefs,
        "matched_by": dict(typed.group_by("matched_by").len().sort("matched_by").rows()),
        "capacity_total": int(typed["capacity"].sum() or 0),
        "capacity_answers": int(typed["capacity"].is_not_null().sum()),
        "intentions": dict(
            typed.filter(pl.col("intention").is_not_null())
            .group_by("intention")
            .len()
            .sort("intention")
            .rows()
        ),
    }
    if table.ignored:
        warnings.append(t("columns not used: {columns}", columns=join(table.ignored)))
    ingest_id, replaced = _load(wh, path, sha, day, prefs, typed, rejects, rows.height, details)
    warnings += replaced
    warnings += _newer_surveys(wh, prefs, day)
    return IngestSummary(
        kind=KIND_SURVEY,
        file=str(path),
        sha256=sha,
        status="loaded",
        as_of=day,
        pref_codes=prefs,
        rows_read=rows.height,
        rows_loaded=typed.height,
        rows_rejected=rejects["row_number"].n_unique(),
        reject_reasons=_reasons(rejects, rows),
        reject_examples=[
            {
                "row": r["row_number"],
                "column": r["column_name"],
                "value": r["value"],
                "reason": r["reason"],
            }
            for r in rejects.head(_EXAMPLES).iter_rows(named=True)
        ],
        warnings=warnings,
        details={**details, "ingest_id": ingest_id},
    )


def _reasons(rejects: pl.DataFrame, rows: pl.DataFrame) -> dict[str, int]:
    """Rejected rows per kind of problem (the reasons themselves name values)."""
    if rejects.is_empty():
        return {}
    kinds = rejects.with_columns(
        pl.when(pl.col("reason").str.contains("^the same facility"))
        .then(pl.lit(N_("the same facility answered twice")))
        .when(pl.col("reason").str.starts_with("no answer"))
        .then(pl.lit(N_("no answer")))
        .when(pl.col("reason").str.contains("must be"))
        .then(polars_format(N_("bad value in {column}"), column=pl.col("column_name")))
        .when(pl.col("reason").str.contains("facilities of the bureau lists have"))
        .then(pl.lit(N_("several facilities match: give the 医療機関コード")))
        .otherwise(pl.lit(N_("no facility of the bureau lists matches")))
        .alias("kind")
    )
    return dict(
        kinds.group_by("kind")
        .agg(pl.col("row_number").n_unique())
        .sort(["row_number", "kind"], descending=[True, False])
        .rows()
    )


def _load(
    wh: Warehouse,
    path: Path,
    sha: str,
    day: date,
    prefs: list[str],
    rows: pl.DataFrame,
    rejects: pl.DataFrame,
    rows_read: int,
    details: dict[str, Any],
) -> tuple[int, list[str]]:
    """Insert the answers and the rejects in one transaction; the same facilities' answers of
    the same survey date from earlier files are replaced (said in the warnings)."""
    warnings: list[str] = []
    with wh.transaction():
        # the same facilities' answers of the same survey date, from earlier files
        replaced = replace_rows(wh, "survey_responses", rows.select("facility_code10", "as_of"))
        ingest_id = wh.new_ingest(
            kind=KIND_SURVEY,
            path=path,
            sha256=sha,
            as_of=day,
            pref_codes=prefs,
            rows_read=rows_read,
            rows_loaded=rows.height,
            rows_rejected=rejects["row_number"].n_unique(),
            details={**details, "replaced_ingests": [r[0] for r in replaced]},
        )
        wh.append(
            "survey_responses",
            rows.select(pl.lit(ingest_id, dtype=pl.Int32).alias("ingest_id"), pl.all()).to_arrow(),
        )
        if rejects.height:
            insert_rejects(wh, ingest_id, KIND_SURVEY, path, rejects.cast(REJECT_SCHEMA))  # type: ignore[arg-type]
    for old_id, file_name, n in replaced:
        warnings.append(
            t(
                "replaced the answers of {count} facilities of the survey of {day} loaded from "
                "{file} (ingest {ingest_id})",
                count=n,
                day=day,
                file=file_name,
                ingest_id=old_id,
            )
        )
    return ingest_id, warnings


def _newer_surveys(wh: Warehouse, prefs: list[str], day: date) -> list[str]:
    """Prefectures whose survey in use is a newer one (the newest 調査時点 wins)."""
    return [
        t(
            "{pref}: a newer survey (as of {newer}) is in use; this one ({day}) is kept but not "
            "used (the newest 調査時点 wins)",
            pref=pref,
            newer=newer,
            day=day,
        )
        for pref, newer in wh.rows("ingest/survey_snapshots_latest")
        if pref in prefs and newer > day
    ]
