"""Load population tables (`zaitaku ingest population`) and 国保 + 後期 enrolment tables
(`zaitaku ingest enrolment`) into the warehouse, one transaction per file.

Both are small, exact tables that rates are divided by, so a file is loaded whole or not at all:
every row is checked (codes, non-negative integers, bands adding up to totals, no unit twice)
and any failure refuses the file. The failing rows are kept in `rejects` with file, row, column
and reason (under an ingest_log entry that loaded 0 rows), and the error names the first ones.
Which snapshot is used is decided when reading: per prefecture the newest as_of wins
(sql/staging/stg_population_units.sql, stg_enrolment_by_area.sql).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from zaitaku_cli.errors import InputError
from zaitaku_cli.i18n import N_, and_more, join, polars_format, t
from zaitaku_cli.ingest_checks import (
    REJECT_SCHEMA,
    SHOW,
    RowCheck,
    refuse_file,
    replace_rows,
    row_rejects,
    still_loaded,
    unchanged_summary,
)
from zaitaku_cli.pref_codes import pref_of_expr
from zaitaku_cli.readers.enrolment import read_enrolment, read_enrolment_mapping
from zaitaku_cli.readers.population_table import population_columns, read_population_table
from zaitaku_cli.reference import municipalities
from zaitaku_cli.summary import IngestSummary
from zaitaku_cli.warehouse import Warehouse, file_sha256

__all__ = [
    "AGE_GROUPS",
    "KIND_ENROLMENT",
    "KIND_POPULATION",
    "check_digit",
    "ingest_enrolment",
    "ingest_population",
]

KIND_POPULATION = "population"
KIND_ENROLMENT = "enrolment"
AGE_GROUPS = ("under65", "65to74", "75plus")
SCHEMES = ("国保", "後期")
NO_SCHEME = "国保+後期"

# base units: the units that add up without double counting (政令市 and prefectures are sums)
_BASE_KINDS = ("市", "町", "村", "特別区", "区")


def check_digit(code5: str) -> int:
    """The check digit of a 全国地方公共団体コード: weights 6,5,4,3,2; (11 − sum mod 11) mod 10."""
    total = sum(w * int(d) for w, d in zip((6, 5, 4, 3, 2), code5, strict=True))
    return (11 - total % 11) % 10


def _check_digit_expr(code: pl.Expr) -> pl.Expr:
    """check_digit for a column of 5-digit codes (null where not 5 digits)."""
    total = pl.sum_horizontal(
        *(
            weight * code.str.slice(i, 1).cast(pl.Int64, strict=False)
            for i, weight in enumerate((6, 5, 4, 3, 2))
        )
    )
    return (11 - total % 11) % 10


def _current_units() -> pl.DataFrame:
    return (
        municipalities()
        .filter(pl.col("status") == "current")
        .select(
            "code5",
            "pref_code",
            pl.col("kind").alias("ref_kind"),
            "parent_code5",
            pl.col("note").fill_null("").str.starts_with("北方領土").alias("northern"),
        )
    )


def _is_count(column: str) -> pl.Expr:
    return pl.col(column).str.contains(r"^[0-9]+$")


def _count(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Int64, strict=False)


# -- population --------------------------------------------------------------------------------


def _bands(columns: list[str]) -> list[str]:
    """a00_04 … a95_99, a100p: the 5-year bands, in order."""
    return [c for c in columns if c[0] == "a" and c[1:3].isdigit()]


def _counts(columns: list[str]) -> list[str]:
    """Every count column of a population table."""
    extra = ["band_gap", "age0_14", "age15_64", "age65p", "age75p"]
    return ["total", "male", "female", *_bands(columns), *extra]


def _population_checks(columns: list[str]) -> list[RowCheck]:
    bands = _bands(columns)
    counts = _counts(columns)
    checks = [
        RowCheck(
            "code5",
            ~pl.col("code5").str.contains(r"^[0-9]{5}$"),
            pl.lit(N_("code5 must be 5 digits")),
            pl.col("code5"),
        ),
        RowCheck(
            "code5",
            pl.col("code5").str.contains(r"^[0-9]{5}$") & pl.col("ref_kind").is_null(),
            pl.lit(N_("not a current municipality code (municipality list of 2024-01-01)")),
            pl.col("code5"),
        ),
        RowCheck(
            "code6",
            (pl.col("code6") != "")
            & (
                ~pl.col("code6").str.contains(r"^[0-9]{6}$")
                | (pl.col("code6").str.slice(0, 5) != pl.col("code5"))
                | (
                    pl.col("code6").str.slice(5, 1).cast(pl.Int64, strict=False)
                    != _check_digit_expr(pl.col("code5"))
                )
            ),
            pl.lit(N_("code6 must be code5 followed by its check digit")),
            pl.col("code6"),
        ),
        RowCheck(
            "kind",
            pl.col("ref_kind").is_not_null() & (pl.col("kind") != pl.col("ref_kind")),
            polars_format(
                N_("the code is a {kind} in the municipality list"), kind=pl.col("ref_kind")
            ),
            pl.col("kind"),
        ),
        RowCheck(
            "as_of",
            pl.col("as_of").str.to_date("%Y-%m-%d", strict=False).is_null(),
            pl.lit(N_("as_of must be a date like 2026-01-01")),
            pl.col("as_of"),
        ),
    ]
    checks += [
        RowCheck(c, ~_is_count(c), pl.lit(N_("must be a whole number of 0 or more")), pl.col(c))
        for c in counts
    ]
    sums = {
        "total": (["male", "female"], N_("total must equal male + female = {value}")),
        "band_gap": (
            [*bands],
            N_("band_gap must equal total − the sum of the 5-year bands = {value}"),
        ),
        "age0_14": (bands[:3], N_("age0_14 must equal a00_04 + a05_09 + a10_14 = {value}")),
        "age15_64": (bands[3:13], N_("age15_64 must equal the sum of a15_19 … a60_64 = {value}")),
        "age65p": (bands[13:], N_("age65p must equal the sum of a65_69 … a100p = {value}")),
        "age75p": (bands[15:], N_("age75p must equal the sum of a75_79 … a100p = {value}")),
    }
    for column, (parts, message) in sums.items():
        expected = pl.sum_horizontal(*(_count(p) for p in parts))
        if column == "band_gap":
            expected = _count("total") - expected
        got, want = _count(column), expected
        every = pl.all_horizontal(*(_is_count(c) for c in [column, *parts, "total"]))
        checks.append(
            RowCheck(
                column,
                every & (got != want),
                polars_format(message, value=want),
                pl.col(column),
            )
        )
    checks.append(
        RowCheck(
            "code5",
            pl.col("code5").is_duplicated() & (pl.col("first_row") != pl.col("source_row")),
            polars_format(
                N_("the unit appears again (first at row {first})"), first=pl.col("first_row")
            ),
            pl.col("code5"),
        )
    )
    return checks


def _aggregate_checks(rows: pl.DataFrame) -> pl.DataFrame:
    """Prefecture and 政令市 rows must equal the sums of their base units (total, 65+, 75+)."""
    base = rows.filter(pl.col("ref_kind").is_in(_BASE_KINDS))
    measures = ["total", "age65p", "age75p"]
    by_pref = base.group_by("pref_code").agg(_count(m).sum().alias(f"sum_{m}") for m in measures)
    by_city = (
        base.filter(pl.col("ref_kind") == "区")
        .group_by(pl.col("parent_code5").alias("code5"))
        .agg(_count(m).sum().alias(f"sum_{m}") for m in measures)
    )
    prefs = rows.filter(pl.col("ref_kind") == "都道府県").join(by_pref, on="pref_code", how="left")
    cities = rows.filter(pl.col("ref_kind") == "政令市").join(by_city, on="code5", how="left")
    found = []
    over = (
        (prefs, N_("{measure} must equal the sum over its municipalities = {value}")),
        (cities, N_("{measure} must equal the sum over its wards = {value}")),
    )
    for frame, message in over:
        for m in measures:
            found.append(
                frame.filter(_count(m) != pl.col(f"sum_{m}").fill_null(0)).select(
                    pl.col("source_row").alias("row_number"),
                    pl.lit(m).alias("column_name"),
                    polars_format(message, measure=pl.lit(m), value=pl.col(f"sum_{m}")).alias(
                        "reason"
                    ),
                    pl.col(m).alias("value"),
                    "raw_row",
                )
            )
    return pl.concat(found).cast(REJECT_SCHEMA)  # type: ignore[arg-type]


def _check_complete(path: Path, rows: pl.DataFrame) -> None:
    """A table covers whole prefectures: every current base unit of each prefecture it holds."""
    units = _current_units().filter(pl.col("ref_kind").is_in(_BASE_KINDS) & ~pl.col("northern"))
    prefs = rows["pref_code"].unique().to_list()
    needed = units.filter(pl.col("pref_code").is_in(prefs))
    missing = needed.join(rows.select("code5"), on="code5", how="anti").sort("code5")
    if missing.height:
        names = municipalities().select("code5", "name")
        shown = join(
            f"{c} {n}"
            for c, n in missing.join(names, on="code5").select("code5", "name").head(SHOW).rows()
        )
        raise InputError(
            "{count} municipalities or wards of the prefectures in the table have no row: {units}",
            file=path,
            count=missing.height,
            units=and_more(shown, missing.height - SHOW),
            column="code5",
            hint="a population table covers whole prefectures (every 市町村, 特別区 and 政令市 "
            "ward), so that no area mixes two dates; nothing was loaded",
        )


def _one_date(path: Path, frame: pl.DataFrame, column: str) -> date:
    dates = frame.select(pl.col(column).unique().sort())[column].to_list()
    if len(dates) != 1:
        second = frame.filter(pl.col(column) != dates[0]).row(0, named=True)
        raise InputError(
            "the table holds several dates ({dates})",
            file=path,
            dates=join(dates),
            row=second["source_row"],
            column=column,
            hint="load one table per date",
        )
    day: date = dates[0]
    return day


def ingest_population(wh: Warehouse, path: Path) -> IngestSummary:
    """Check and load one 住基-shaped population table (the columns of population.csv).

    An identical file already loaded is left alone ('unchanged'). A file for the same
    prefectures and date as an earlier one replaces it. A table older than the one in use for a
    prefecture is kept but not used (the newest as_of wins), which the summary says.
    """
    sha = file_sha256(path)
    previous = still_loaded(wh, sha, KIND_POPULATION, "population_tables")
    if previous is not None:
        return unchanged_summary(KIND_POPULATION, path, sha, previous)

    table = read_population_table(path)
    columns = population_columns()
    units = _current_units()
    rows = table.rows.join(units, on="code5", how="left", maintain_order="left").with_columns(
        pref_of_expr("code5").alias("pref_code"),
        pl.col("source_row").min().over("code5").alias("first_row"),
    )
    # Row checks first: a row that is wrong in itself would also make its prefecture's sum
    # wrong, and the analyst should be shown the row, not the consequence.
    rejects = row_rejects(rows, _population_checks(columns))
    if rejects.height:
        refuse_file(wh, KIND_POPULATION, path, sha, rows.height, rejects)
    as_of = _one_date(path, rows.with_columns(pl.col("as_of").str.to_date()), "as_of")
    _check_complete(path, rows)
    rejects = _aggregate_checks(rows)
    if rejects.height:
        refuse_file(wh, KIND_POPULATION, path, sha, rows.height, rejects)
    prefs = sorted(rows["pref_code"].unique().to_list())
    counts = _counts(columns)
    typed = rows.select(
        "source_row",
        "code6",
        "code5",
        "pref_code",
        "name",
        "kind",
        pl.lit(as_of).alias("as_of"),
        "source",
        *(_count(c) for c in counts),
    )
    base = typed.filter(pl.col("kind").is_in(_BASE_KINDS))
    details: dict[str, Any] = {
        "encoding": table.encoding,
        "prefectures": prefs,
        "units": base.height,
        "total": int(base["total"].sum()),
        "age65p": int(base["age65p"].sum()),
        "age75p": int(base["age75p"].sum()),
    }
    warnings = _load(
        wh,
        kind=KIND_POPULATION,
        table="population_tables",
        path=path,
        sha=sha,
        as_of=as_of,
        prefs=prefs,
        rows=typed,
        details=details,
    )
    warnings += _unused_warnings(wh, KIND_POPULATION, prefs, as_of)
    return IngestSummary(
        kind=KIND_POPULATION,
        file=str(path),
        sha256=sha,
        status="loaded",
        as_of=as_of,
        pref_codes=prefs,
        rows_read=rows.height,
        rows_loaded=typed.height,
        warnings=warnings,
        details=details,
    )


# -- enrolment ---------------------------------------------------------------------------------


def _enrolment_checks(has_scheme: bool) -> list[RowCheck]:
    checks = [
        RowCheck(
            "municipality_code",
            pl.col("code5").is_null(),
            pl.lit(N_("市町村コード must be 5 digits, or 6 with the check digit")),
            pl.col("municipality_code"),
        ),
        RowCheck(
            "municipality_code",
            pl.col("code5").is_not_null()
            & (pl.col("digits").str.len_chars() == 6)
            & (
                pl.col("digits").str.slice(5, 1).cast(pl.Int64, strict=False)
                != _check_digit_expr(pl.col("code5"))
            ),
            pl.lit(
                N_("市町村コード: the check digit does not match (6 digits = code + check digit)")
            ),
            pl.col("municipality_code"),
        ),
        RowCheck(
            "municipality_code",
            pl.col("code5").is_not_null()
            & (pl.col("ref_kind").is_null() | ~pl.col("ref_kind").is_in([*_BASE_KINDS, "政令市"])),
            pl.lit(N_("市町村コード: not a current municipality, 政令市 or ward")),
            pl.col("municipality_code"),
        ),
        RowCheck(
            "age_group",
            ~pl.col("age_group").is_in(AGE_GROUPS),
            pl.lit(N_("年齢階級 must be under65, 65to74 or 75plus (map yours with --mapping)")),
            pl.col("age_group"),
        ),
        RowCheck(
            "members",
            pl.col("members_value").is_null(),
            pl.lit(N_("被保険者数 must be a whole number of 0 or more")),
            pl.col("members"),
        ),
        RowCheck(
            "as_of",
            pl.col("as_of_value").is_null(),
            pl.lit(N_("基準日 must be a date like 2024-03-31")),
            pl.col("as_of"),
        ),
        RowCheck(
            "municipality_code",
            pl.col("key").is_duplicated() & (pl.col("first_row") != pl.col("source_row")),
            polars_format(
                N_(
                    "the same municipality, scheme and age group appear again "
                    "(first at row {first})"
                ),
                first=pl.col("first_row"),
            ),
            pl.col("municipality_code"),
        ),
        RowCheck(
            "municipality_code",
            pl.col("city_row").is_not_null(),
            polars_format(
                N_(
                    "a ward of {city}, which has its own row (row {city_row}): it would be "
                    "counted twice"
                ),
                city=pl.col("parent_code5"),
                city_row=pl.col("city_row"),
            ),
            pl.col("municipality_code"),
        ),
    ]
    if has_scheme:
        checks.append(
            RowCheck(
                "scheme",
                ~pl.col("scheme").is_in(SCHEMES),
                pl.lit(N_("制度 must be 国保 or 後期 (map yours with --mapping)")),
                pl.col("scheme"),
            )
        )
    return checks


def ingest_enrolment(
    wh: Warehouse, path: Path, *, mapping: Path | None = None, as_of: date | None = None
) -> IngestSummary:
    """Check and load one enrolment table (国保 + 後期 members by municipality and age group).

    `mapping` is a TOML file mapping headers and values (examples/enrolment_mapping.example.toml);
    `as_of` gives the date when the table has no 基準日 column (and wins over it). Schemes are
    added together when rates use them; a table without a 制度 column is taken as 国保 + 後期.
    """
    sha = file_sha256(path)
    previous = still_loaded(wh, sha, KIND_ENROLMENT, "enrolment")
    if previous is not None:
        return unchanged_summary(KIND_ENROLMENT, path, sha, previous)

    table = read_enrolment(path, read_enrolment_mapping(mapping))
    warnings: list[str] = []
    frame = table.rows
    if "as_of" not in frame.columns:
        if as_of is None:
            raise InputError(
                "no 基準日 (as-of date) column",
                file=path,
                row=1,
                hint="add a 基準日 column or pass --as-of YYYY-MM-DD",
            )
        frame = frame.with_columns(pl.lit(as_of.isoformat()).alias("as_of"))
    elif as_of is not None:
        given = frame["as_of"].unique().to_list()
        if given != [as_of.isoformat()]:
            warnings.append(
                t(
                    "the 基準日 column says {dates}; --as-of {as_of} used",
                    dates=join(given),
                    as_of=as_of,
                )
            )
        frame = frame.with_columns(pl.lit(as_of.isoformat()).alias("as_of"))
    has_scheme = "scheme" in frame.columns
    if not has_scheme:
        frame = frame.with_columns(pl.lit(NO_SCHEME).alias("scheme"))

    digits = (
        pl.col("municipality_code")
        .str.replace_all(r"\s", "")
        .str.replace_many(list("０１２３４５６７８９"), list("0123456789"))
    )
    rows = (
        frame.with_columns(digits.alias("digits"))
        .with_columns(
            pl.when(pl.col("digits").str.contains(r"^[0-9]{5,6}$"))
            .then(pl.col("digits").str.slice(0, 5))
            .alias("code5"),
            pl.col("members")
            .str.replace_all(",", "")
            .str.extract(r"^([0-9]+)$")
            .cast(pl.Int64, strict=False)
            .alias("members_value"),
            pl.coalesce(
                pl.col("as_of").str.to_date("%Y-%m-%d", strict=False),
                pl.col("as_of").str.to_date("%Y/%m/%d", strict=False),
            ).alias("as_of_value"),
        )
        .join(_current_units(), on="code5", how="left", maintain_order="left")
        .with_columns(
            pref_of_expr("code5").alias("pref_code"),
            pl.concat_str("code5", "scheme", "age_group", separator="|").alias("key"),
        )
        .with_columns(pl.col("source_row").min().over("key").alias("first_row"))
    )
    cities = (
        rows.filter(pl.col("ref_kind") == "政令市")
        .select(
            pl.col("code5").alias("parent_code5"),
            "scheme",
            "age_group",
            pl.col("source_row").alias("city_row"),
        )
        .unique(subset=["parent_code5", "scheme", "age_group"], keep="first")
    )
    rows = rows.join(
        cities, on=["parent_code5", "scheme", "age_group"], how="left", maintain_order="left"
    )
    rejects = row_rejects(rows, _enrolment_checks(has_scheme))
    if rejects.height:
        refuse_file(wh, KIND_ENROLMENT, path, sha, rows.height, rejects)

    day = _one_date(path, rows, "as_of_value")
    prefs = sorted(rows["pref_code"].unique().to_list())
    typed = rows.select(
        "source_row",
        pl.lit(day).alias("as_of"),
        "pref_code",
        "code5",
        "scheme",
        "age_group",
        pl.col("members_value").alias("members"),
    )
    details: dict[str, Any] = {
        "encoding": table.encoding,
        "columns": table.headers,
        "prefectures": prefs,
        "municipalities": typed["code5"].n_unique(),
        "members_by_age_group": dict(
            typed.group_by("age_group").agg(pl.col("members").sum()).sort("age_group").rows()
        ),
        "schemes": sorted(typed["scheme"].unique().to_list()),
    }
    warnings += _load(
        wh,
        kind=KIND_ENROLMENT,
        table="enrolment",
        path=path,
        sha=sha,
        as_of=day,
        prefs=prefs,
        rows=typed,
        details=details,
    )
    warnings += _unused_warnings(wh, KIND_ENROLMENT, prefs, day)
    return IngestSummary(
        kind=KIND_ENROLMENT,
        file=str(path),
        sha256=sha,
        status="loaded",
        as_of=day,
        pref_codes=prefs,
        rows_read=rows.height,
        rows_loaded=typed.height,
        warnings=warnings,
        details=details,
    )


# -- warehouse ---------------------------------------------------------------------------------


def _load(
    wh: Warehouse,
    *,
    kind: str,
    table: str,
    path: Path,
    sha: str,
    as_of: date,
    prefs: list[str],
    rows: pl.DataFrame,
    details: dict[str, Any],
) -> list[str]:
    """Insert the rows in one transaction, replacing the same prefectures and date loaded from
    an earlier file; return the warnings about what was replaced."""
    assert table in {"population_tables", "enrolment"}
    warnings: list[str] = []
    with wh.transaction():
        snapshot = pl.DataFrame(
            {"pref_code": prefs, "as_of": [as_of] * len(prefs)},
            schema={"pref_code": pl.String, "as_of": pl.Date},
        )
        replaced = replace_rows(wh, table, snapshot)
        for ingest_id, file_name, n in replaced:
            warnings.append(
                t(
                    "replaced {rows} rows of the same prefectures as of {as_of} loaded from "
                    "{file} (ingest {ingest_id})",
                    rows=n,
                    as_of=as_of,
                    file=file_name,
                    ingest_id=ingest_id,
                )
            )
        ingest_id = wh.new_ingest(
            kind=kind,
            path=path,
            sha256=sha,
            as_of=as_of,
            pref_codes=prefs,
            rows_read=rows.height,
            rows_loaded=rows.height,
            rows_rejected=0,
            details={**details, "replaced_ingests": [r[0] for r in replaced]},
        )
        incoming = rows.select(pl.lit(ingest_id, dtype=pl.Int32).alias("ingest_id"), pl.all())
        wh.append(table, incoming.to_arrow())
    return warnings


def _unused_warnings(wh: Warehouse, kind: str, prefs: list[str], as_of: date) -> list[str]:
    """Prefectures for which a newer table than this one is in use (the newest as_of wins)."""
    if kind == KIND_POPULATION:
        wh.materialize("staging/stg_population_units")
        in_use = wh.rows("ingest/population_snapshots_in_use")
    else:
        in_use = wh.rows("ingest/enrolment_snapshots_latest")
    return [
        t(
            "{pref}: a newer table (as of {newer}) is in use; this one ({as_of}) is kept but "
            "not used (the newest as-of wins)",
            pref=pref,
            newer=newer_as_of,
            as_of=as_of,
        )
        for pref, newer_as_of in in_use
        if pref in prefs and newer_as_of > as_of
    ]
