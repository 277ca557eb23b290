"""Load a wide count table (市町名 × 受理記号) into facility_counts, one transaction per file.

Names resolve within the given prefecture and labels map to zaitaku categories by the table's
as-of date. A count table is small and hand-made, so anything that does not resolve stops the
ingest with a message saying what to fix, rather than being set aside as a reject.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from zaitaku_cli.errors import InputError
from zaitaku_cli.geo import resolve_names
from zaitaku_cli.i18n import and_more, join, stored, t
from zaitaku_cli.ingest_checks import replace_rows, still_loaded
from zaitaku_cli.readers.count_table import CountTable, read_count_table
from zaitaku_cli.readers.labels import normalize_label
from zaitaku_cli.reference import juri_kigo, municipalities
from zaitaku_cli.summary import IngestSummary
from zaitaku_cli.warehouse import Warehouse, file_sha256

__all__ = ["KIND", "ingest_count_table", "map_labels"]

KIND = "facility_counts"

# Validators name the first few offenders and the count, so a log explains itself.
_SHOW = 3

_COLUMNS = [
    "ingest_id",
    "as_of",
    "pref_code",
    "code5",
    "name_raw",
    "source_row",
    "label_raw",
    "label",
    "category",
    "facilities",
]


def ingest_count_table(
    wh: Warehouse, path: Path, *, pref_code: str, as_of: date | None = None
) -> IngestSummary:
    """Read, check and load one count table of prefecture `pref_code`; `as_of` beats the title.

    An identical file (same sha256) already loaded is left alone (status 'unchanged'). Another
    file for the same (prefecture, as-of date) replaces that snapshot's rows, so counts are
    never doubled.
    """
    pref_name = _pref_name(pref_code)
    sha = file_sha256(path)
    # A file whose rows were since replaced by another file for the same snapshot is loaded
    # again (that is how an analyst reverts to it), so the ingest log alone is not enough.
    loaded = still_loaded(wh, sha, KIND, "facility_counts")
    if loaded is not None:
        ingest_id, loaded_as_of, loaded_pref, file_name = loaded
        summary = IngestSummary(
            kind=KIND,
            file=str(path),
            sha256=sha,
            status="unchanged",
            as_of=loaded_as_of,
            pref_codes=[loaded_pref],
        )
        if (loaded_pref, loaded_as_of) != (pref_code, as_of or loaded_as_of):
            summary.warnings.append(
                t(
                    "already loaded as {pref} as of {as_of} (ingest {ingest_id}, {file}); "
                    "--pref/--as-of given now were not applied",
                    pref=loaded_pref,
                    as_of=_show_date(loaded_as_of),
                    ingest_id=ingest_id,
                    file=file_name,
                )
            )
        return summary

    table = read_count_table(path)
    warnings: list[str] = []
    effective_as_of = _choose_as_of(as_of, table, warnings)

    named = _resolve(table, pref_code, pref_name)
    labelled, skipped = map_labels(
        named, as_of=effective_as_of, file=path, header_row=table.header_row
    )
    for raw, label in skipped:
        warnings.append(
            t(
                "column {raw} ({label}) is a sub-standard of another 受理記号: kept out of the "
                "counts",
                raw=raw,
                label=label,
            )
        )
    if table.total_row is None:
        warnings.append(t("no 計 row: the column sums were not checked"))

    rows = labelled.select(
        pl.lit(effective_as_of, dtype=pl.Date).alias("as_of"),
        pl.lit(pref_code).alias("pref_code"),
        "code5",
        "name_raw",
        "source_row",
        "label_raw",
        "label",
        "category",
        pl.col("facilities").cast(pl.Int32),
    )
    categories = rows.group_by("category").agg(pl.col("facilities").sum()).sort("category").rows()
    details = {
        "name_header": table.name_header,
        "header_row": table.header_row,
        "total_row": table.total_row,
        "municipalities": table.municipality_rows,
        "labels": {
            raw: cat
            for raw, cat in labelled.select("label_raw", "category")
            .unique(maintain_order=True)
            .rows()
        },
        "facilities_by_category": dict(categories),
        "encoding": table.encoding,
        "sheet": table.sheet,
        "as_of_source": _as_of_source(as_of, table),
    }

    with wh.transaction():
        # the same snapshot (prefecture, as-of date; none = no date) from earlier files
        snapshot = pl.DataFrame(
            {"pref_code": [pref_code], "as_of": [effective_as_of]},
            schema={"pref_code": pl.String, "as_of": pl.Date},
        )
        replaced = replace_rows(wh, "facility_counts", snapshot)
        for ingest_id, file_name, n in replaced:
            warnings.append(
                t(
                    "replaced {rows} rows of {pref_name} ({pref}) as of {as_of} loaded from "
                    "{file} (ingest {ingest_id})",
                    rows=n,
                    pref_name=pref_name,
                    pref=pref_code,
                    as_of=_show_date(effective_as_of),
                    file=file_name,
                    ingest_id=ingest_id,
                )
            )
        ingest_id = wh.new_ingest(
            kind=KIND,
            path=path,
            sha256=sha,
            as_of=effective_as_of,
            pref_codes=[pref_code],
            rows_read=table.municipality_rows,
            rows_loaded=rows.height,
            rows_rejected=0,
            details={**details, "replaced_ingests": [r[0] for r in replaced]},
        )
        arrow = rows.select(pl.lit(ingest_id, dtype=pl.Int32).alias("ingest_id"), pl.all())
        wh.append("facility_counts", arrow.select(_COLUMNS).to_arrow())

    return IngestSummary(
        kind=KIND,
        file=str(path),
        sha256=sha,
        status="loaded",
        as_of=effective_as_of,
        pref_codes=[pref_code],
        rows_read=table.municipality_rows,
        rows_loaded=rows.height,
        warnings=warnings,
        details=details,
    )


# -- as-of date ---------------------------------------------------------------------------------


def _choose_as_of(given: date | None, table: CountTable, warnings: list[str]) -> date | None:
    """--as-of wins; else a date in the title lines; else none, said out loud."""
    if given is not None:
        if table.as_of is not None and table.as_of != given:
            warnings.append(
                t(
                    "the title says {title}; --as-of {given} used",
                    title=table.as_of.isoformat(),
                    given=given,
                )
            )
        return given
    if table.as_of is not None:
        return table.as_of
    warnings.append(t("no as-of date: pass --as-of"))
    return None


def _as_of_source(given: date | None, table: CountTable) -> str:
    if given is not None:
        return "--as-of"
    return "title" if table.as_of is not None else "none"


def _show_date(value: date | None) -> str:
    return value.isoformat() if value else t("(no date)")


# -- names --------------------------------------------------------------------------------------


def _pref_name(pref_code: str) -> str:
    prefs = municipalities().filter(pl.col("kind") == "都道府県", pl.col("pref_code") == pref_code)
    if prefs.height != 1:
        raise InputError(
            "unknown 都道府県コード {pref!r}",
            column="--pref",
            hint="give 01–47, e.g. 03",
            pref=pref_code,
        )
    return str(prefs["name"].item())


def _resolve(table: CountTable, pref_code: str, pref_name: str) -> pl.DataFrame:
    """Counts with code5; any name that is not a municipality of the prefecture stops the ingest."""
    names = table.counts.select("source_row", "name_raw").unique(maintain_order=True)
    resolved = resolve_names(
        names.with_columns(pref_code=pl.lit(pref_code)), pref_col="pref_code", name_col="name_raw"
    )
    bad = resolved.filter(pl.col("code5").is_null())
    if bad.height:
        first = bad.row(0, named=True)
        shown = join(
            t("{name} (row {row})", name=r["name_raw"], row=r["source_row"])
            for r in bad.head(_SHOW).iter_rows(named=True)
        )
        raise InputError(
            "{name}: {reason}"
            if bad.height == 1
            else "{count} names are not municipalities of {pref_name} ({pref}): {names}",
            file=table.path,
            name=first["name_raw"],
            reason=stored(first["geo_reason"] or ""),
            count=bad.height,
            pref_name=pref_name,
            pref=pref_code,
            names=and_more(shown, bad.height - _SHOW),
            row=first["source_row"],
            column=table.name_header,
            hint="write the official name (e.g. 盛岡市, 紫波郡矢巾町 or 仙台市青葉区) "
            "or check --pref",
        )
    _check_no_double_counting(table, resolved)
    return table.counts.join(
        resolved.select("source_row", "code5"), on="source_row", how="left", maintain_order="left"
    )


def _check_no_double_counting(table: CountTable, resolved: pl.DataFrame) -> None:
    """One row per municipality; never a 政令市 together with its own wards."""
    seen: dict[str, tuple[int, str]] = {}
    for row, name, code5 in resolved.select("source_row", "name_raw", "code5").iter_rows():
        if code5 in seen:
            first_row, first_name = seen[code5]
            raise InputError(
                "{name} is the same municipality as {first} (row {first_row})",
                file=table.path,
                name=name,
                first=first_name,
                first_row=first_row,
                row=row,
                column=table.name_header,
                hint="keep one row per municipality, or its counts would be added twice",
            )
        seen[code5] = (row, name)
    parents = municipalities().filter(pl.col("kind") == "区").select("code5", "parent_code5")
    wards = resolved.join(parents, on="code5", how="inner")
    for row, name, parent in wards.select("source_row", "name_raw", "parent_code5").iter_rows():
        if parent in seen:
            city_row, city_name = seen[parent]
            raise InputError(
                "{name} is a ward of {city} (row {city_row}), which is listed too",
                file=table.path,
                name=name,
                city=city_name,
                city_row=city_row,
                row=row,
                column=table.name_header,
                hint="keep either the city row or its ward rows, or the wards are counted twice",
            )


# -- labels -------------------------------------------------------------------------------------


def map_labels(
    counts: pl.DataFrame,
    *,
    as_of: date | None,
    file: Path | str | None = None,
    header_row: int | None = None,
) -> tuple[pl.DataFrame, list[tuple[str, str]]]:
    """Add `label` (NFKC 受理記号) and `category` to rows with `label_raw`, by the as-of date.

    The mapping valid on `as_of` is used; without a date, the latest mapping of each label that
    has a category. Returns the rows whose label counts, and the (raw, label) pairs of columns
    dropped because the label is a sub-standard without a category (在医総管２). An unknown
    label, or one not valid on `as_of`, raises InputError naming the column.
    """
    table = juri_kigo().select(
        "label",
        pl.col("valid_from").str.to_date(),
        pl.col("valid_to").str.to_date(),
        pl.col("category").replace("", None),
    )
    raw_labels = counts.select("label_raw").unique(maintain_order=True)["label_raw"].to_list()
    labels: dict[str, str] = {}
    categories: dict[str, str | None] = {}
    skipped: list[tuple[str, str]] = []
    for raw in raw_labels:
        label = labels[raw] = normalize_label(raw)
        rows = table.filter(pl.col("label") == label)
        if rows.height == 0:
            raise InputError(
                "{label} is not a 受理記号 zaitaku knows",
                file=file,
                row=header_row,
                column=raw,
                hint="rename the column to one of {known}, or delete it",
                label=raw,
                known=join(sorted(set(table["label"].to_list()))),
            )
        if as_of is None:
            valid = rows.filter(pl.col("category").is_not_null()).sort("valid_from")
            if valid.height == 0:
                valid = rows
        else:
            valid = rows.filter(
                (pl.col("valid_from") <= as_of)
                & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= as_of))
            )
        if valid.height == 0:
            periods = "; ".join(
                f"{r['valid_from']}–{r['valid_to'] or ''}" for r in rows.iter_rows(named=True)
            )
            raise InputError(
                "{label} is not a 受理記号 on {as_of} (valid {periods})",
                file=file,
                label=raw,
                as_of=as_of,
                periods=periods,
                row=header_row,
                column=raw,
                hint="check the as-of date (--as-of) or the column header",
            )
        category = categories[raw] = valid["category"][-1]
        if category is None:
            skipped.append((raw, label))
    labelled = counts.with_columns(
        label=pl.col("label_raw").replace_strict(labels, return_dtype=pl.Utf8),
        category=pl.col("label_raw").replace_strict(categories, return_dtype=pl.Utf8),
    )
    return labelled.filter(pl.col("category").is_not_null()), skipped
