"""Load the prefecture's 在宅医療に必要な連携を担う拠点 (`zaitaku ingest hubs`; seed 004 参考1):
each hub's name, 運営主体 and 事業区域, the municipalities it serves.

The names in 事業区域 resolve within the prefecture (geo.resolve_names: 矢巾町, 紫波郡矢巾町,
仙台市青葉区, 青葉区 when unique). A list is small and `supply` reads it as the whole of the
prefecture's hubs, so any bad row refuses the file (every problem kept in `rejects`): a hub left
out would show its municipalities as uncovered. A new list of a prefecture replaces the previous
one.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from zaitaku_cli.errors import InputError
from zaitaku_cli.geo import resolve_names
from zaitaku_cli.i18n import N_, join, polars_format, t
from zaitaku_cli.ingest_checks import (
    RowCheck,
    refuse_file,
    replace_rows,
    row_rejects,
    still_loaded,
    table_date,
    unchanged_summary,
)
from zaitaku_cli.readers.hubs import HUBS, split_area
from zaitaku_cli.reference import municipalities
from zaitaku_cli.summary import IngestSummary
from zaitaku_cli.warehouse import Warehouse, file_sha256

__all__ = ["KIND_HUBS", "ingest_hubs"]

KIND_HUBS = "hubs"


def _names(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per name of each hub's 事業区域: source_row, part, name_given, remark."""
    parts: dict[str, list[Any]] = {"source_row": [], "part": [], "name_given": [], "remark": []}
    for row, area in frame.select("source_row", "area").iter_rows():
        for i, (name, remark) in enumerate(split_area(area or "")):
            parts["source_row"].append(row)
            parts["part"].append(i)
            parts["name_given"].append(name)
            parts["remark"].append(remark)
    return pl.DataFrame(
        parts,
        schema={
            "source_row": pl.Int64,
            "part": pl.Int64,
            "name_given": pl.String,
            "remark": pl.String,
        },
    )


def _resolve(names: pl.DataFrame, pref: str) -> pl.DataFrame:
    """names with code5 / geo_reason in `pref`. A part that is several names separated by
    spaces (盛岡市 滝沢市) becomes those names when each of them resolves; otherwise it is
    taken whole, spaces removed (a PDF that broke 矢巾町 across lines)."""
    whole = resolve_names(
        names.with_columns(pl.lit(pref).alias("pref_code")), name_col="name_given"
    )
    split = (
        whole.filter(pl.col("code5").is_null() & pl.col("name_given").str.contains(r"\S\s+\S"))
        .with_columns(pl.col("name_given").str.split(" ").alias("pieces"))
        .explode("pieces")
        .filter(pl.col("pieces").str.strip_chars() != "")
        .with_columns(pl.col("pieces").str.strip_chars().alias("name_given"))
        .drop("pieces")
    )
    if split.height:
        split = resolve_names(
            split.drop("code5", "matched_name", "geo_reason"), name_col="name_given"
        )
        good = split.group_by("source_row", "part").agg(
            pl.col("code5").is_not_null().all().alias("ok")
        )
        split = split.join(good.filter("ok").drop("ok"), on=["source_row", "part"])
        whole = whole.join(
            split.select("source_row", "part").unique(), on=["source_row", "part"], how="anti"
        )
        whole = pl.concat([whole, split.select(whole.columns)])
    return whole.sort("source_row", "part", maintain_order=True)


def _prefecture(names: pl.DataFrame, path: Path, column: str) -> str:
    """The one prefecture in which every name resolves (府中市, 伊達市 exist in several)."""
    prefs = sorted(municipalities().filter(pl.col("kind") == "都道府県")["pref_code"].to_list())
    distinct = (
        names.select("name_given")
        .unique(maintain_order=True)
        .with_columns(
            pl.lit(0, dtype=pl.Int64).alias("source_row"),
            pl.int_range(pl.len(), dtype=pl.Int64).alias("part"),
            pl.lit(None, dtype=pl.String).alias("remark"),
        )
    )
    fits = [p for p in prefs if _resolve(distinct, p)["code5"].null_count() == 0]
    if len(fits) == 1:
        return fits[0]
    shown = "、".join(distinct["name_given"].head(3).to_list())
    raise InputError(
        "the names of 事業区域 ({names} …) resolve in several prefectures ({prefs})"
        if fits
        else "the names of 事業区域 ({names} …) resolve in no one prefecture",
        file=path,
        column=column,
        hint="pass --pref NN (e.g. --pref 03 for 岩手県)",
        names=shown,
        prefs=join(fits),
    )


def ingest_hubs(
    wh: Warehouse,
    path: Path,
    *,
    mapping: Path | None = None,
    pref_code: str | None = None,
    as_of: date | None = None,
) -> IngestSummary:
    """Check and load one prefecture's hub list; it replaces that prefecture's previous list.

    `pref_code` is the prefecture the names belong to (default: the one prefecture in which
    they all resolve); `as_of` the list's date when it has no 基準日 column (optional).
    """
    sha = file_sha256(path)
    previous = still_loaded(wh, sha, KIND_HUBS, "hub_areas")
    if previous is not None:
        return unchanged_summary(KIND_HUBS, path, sha, previous)

    table = HUBS.read(path, HUBS.read_mapping(mapping))
    headers = table.headers
    frame = table.rows.with_columns(
        pl.lit("").alias(key) for key in ("operator", "note", "as_of") if key not in headers
    )
    warnings: list[str] = []
    day = (
        table_date(frame, headers, given=as_of, path=path, warnings=warnings, label="基準日")
        if as_of is not None or "as_of" in headers
        else None
    )
    names = _names(frame)
    area_column, name_column = headers["area"], headers["name"]
    if pref_code is not None:
        pref = pref_code
    elif names.height:
        pref = _prefecture(names, path, area_column)
    else:
        pref = "00"  # no row names a municipality: every row is rejected below
    resolved = _resolve(names, pref)
    unresolved = (
        resolved.filter(pl.col("code5").is_null())
        .group_by("source_row")
        .agg(
            pl.format("{}: {}", pl.col("name_given"), pl.col("geo_reason"))
            .str.join("; ")
            .alias("why"),
            pl.col("name_given").str.join("、").alias("bad_names"),
        )
    )
    rows = (
        frame.join(unresolved, on="source_row", how="left", maintain_order="left")
        .join(names.group_by("source_row").len("names"), on="source_row", how="left")
        .with_columns(
            pl.col("source_row").min().over("name").alias("first_row"),
        )
    )
    checks = [
        RowCheck(
            name_column, pl.col("name") == "", pl.lit(N_("the hub has no name")), pl.col("name")
        ),
        RowCheck(
            name_column,
            (pl.col("name") != "") & (pl.col("first_row") != pl.col("source_row")),
            polars_format(
                N_("the same hub as row {row}: give each hub once"), row=pl.col("first_row")
            ),
            pl.col("name"),
        ),
        RowCheck(
            area_column,
            pl.col("names").is_null(),
            pl.lit(N_("no municipality in 事業区域 (e.g. 紫波町、矢巾町)")),
            pl.col("area"),
        ),
        RowCheck(area_column, pl.col("why").is_not_null(), pl.col("why"), pl.col("bad_names")),
    ]
    rejects = row_rejects(rows, checks)
    if rejects.height:
        refuse_file(wh, KIND_HUBS, path, sha, rows.height, rejects)

    remarks = resolved.filter(pl.col("remark").is_not_null())
    for name, remark, row in remarks.select("name_given", "remark", "source_row").head(5).rows():
        warnings.append(
            t(
                "row {row}: {name}（{remark}） read as {name}: the remark is kept in the note, "
                "and {name} counts as served by the hub",
                row=row,
                name=name,
                remark=remark,
            )
        )
    typed = (
        resolved.join(frame, on="source_row", how="left")
        .with_columns(
            pl.when(pl.col("remark").is_not_null() & (pl.col("note") != ""))
            .then(pl.format("{}; {}", pl.col("note"), pl.col("remark")))
            .when(pl.col("remark").is_not_null())
            .then(pl.col("remark"))
            .when(pl.col("note") != "")
            .then(pl.col("note"))
            .alias("note_all")
        )
        .select(
            "source_row",
            pl.lit(day, dtype=pl.Date).alias("as_of"),
            pl.lit(pref).alias("pref_code"),
            pl.col("name").alias("hub_name"),
            pl.when(pl.col("operator") != "").then(pl.col("operator")).alias("operator"),
            "code5",
            "name_given",
            pl.col("note_all").alias("note"),
        )
        .unique(subset=["source_row", "code5"], keep="first", maintain_order=True)
    )
    details: dict[str, Any] = {
        "encoding": table.encoding,
        "sheet": table.sheet,
        "columns": headers,
        "columns_not_used": table.ignored,
        "hubs": frame.height,
        "municipalities": typed["code5"].n_unique(),
    }
    warnings += _load(wh, path, sha, day, pref, typed, frame.height, details)
    return IngestSummary(
        kind=KIND_HUBS,
        file=str(path),
        sha256=sha,
        status="loaded",
        as_of=day,
        pref_codes=[pref],
        rows_read=frame.height,
        rows_loaded=frame.height,
        warnings=warnings,
        details=details,
    )


def _load(
    wh: Warehouse,
    path: Path,
    sha: str,
    day: date | None,
    pref: str,
    rows: pl.DataFrame,
    hubs: int,
    details: dict[str, Any],
) -> list[str]:
    with wh.transaction():
        # a new list replaces the prefecture's list: its hubs counted per earlier file
        replaced = replace_rows(
            wh,
            "hub_areas",
            pl.DataFrame({"pref_code": [pref]}, schema={"pref_code": pl.String}),
            distinct="hub_name",
        )
        ingest_id = wh.new_ingest(
            kind=KIND_HUBS,
            path=path,
            sha256=sha,
            as_of=day,
            pref_codes=[pref],
            rows_read=hubs,
            rows_loaded=hubs,
            rows_rejected=0,
            details={**details, "replaced_ingests": [r[0] for r in replaced]},
        )
        wh.append(
            "hub_areas",
            rows.select(pl.lit(ingest_id, dtype=pl.Int32).alias("ingest_id"), pl.all()).to_arrow(),
        )
    return [
        t(
            "replaced the hub list of prefecture {pref} loaded from {file} (ingest {ingest_id}, "
            "{hubs} hubs)",
            pref=pref,
            file=file_name,
            ingest_id=old,
            hubs=n,
        )
        for old, file_name, n in replaced
    ]
