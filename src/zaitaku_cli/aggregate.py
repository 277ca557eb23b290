"""`zaitaku aggregate`: run the marts SQL for one area level and write Parquet + CSV + manifest."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa

from zaitaku_cli import __version__
from zaitaku_cli.choices import (
    DEFAULT_PERIOD,
    DEFAULT_PLAN,
    LEVELS,
    PLANS,
    ExportChoice,
    check_choice,
)
from zaitaku_cli.claims_aggregate import ClaimsAggregate
from zaitaku_cli.engine import Engine
from zaitaku_cli.errors import SnapshotNotFound
from zaitaku_cli.i18n import join, t
from zaitaku_cli.output_metadata import COVERAGE, SUPPRESS_FLAGS
from zaitaku_cli.output_sets import output_set
from zaitaku_cli.population import build_population_by_area
from zaitaku_cli.rates import RATES_SUPPRESS_FLAGS, build_rates_by_area
from zaitaku_cli.reference import DATA_DIR
from zaitaku_cli.warehouse import Warehouse, WarehouseRecords, file_sha256

FACILITY_SOURCE_NOTE = (
    "地方厚生局 届出受理医療機関名簿（医科）/ 都道府県の集計表. "
    "facilities = distinct facilities; categories overlap and must not be added together."
)


@dataclass
class AggregateResult:
    level: str
    plan: str
    as_of: date | None
    outputs: list[Path] = field(default_factory=list)
    facilities: pa.Table | None = None
    claims: pa.Table | None = None
    population: pa.Table | None = None
    rates: pa.Table | None = None
    warnings: list[str] = field(default_factory=list)
    manifest: Path | None = None
    folder: Path | None = None  # the published set: out_dir/<set name>
    workbook: Path | None = None  # <set name>.xlsx with --xlsx
    # where the claims cells came from: computed, cache (the warehouse's, claims_cache.py), …
    claims_cells: str | None = None


def available_snapshots(engine: Engine) -> list[date]:
    """The list dates of the bureau lists and count tables in the warehouse, oldest first."""
    return list(engine.arrow("staging/stg_list_dates")["as_of"].to_pylist())


def build_facilities_by_area(
    engine: Engine, *, level: str, plan: str = DEFAULT_PLAN, as_of: date | None = None
) -> pa.Table:
    """Facilities per area × category × list date, from bureau lists and count tables."""
    check_choice("--by", level, LEVELS)
    check_choice("--plan", plan, PLANS)
    engine.materialize("staging/stg_area_units", {"plan": plan})
    engine.materialize("staging/stg_facility_categories", {"as_of": as_of})
    engine.materialize("staging/stg_facility_counts_selected", {"as_of": as_of})
    facilities = engine.arrow("marts/facilities_by_area", {"level": level})
    return _with_source_files(facilities, engine.arrow("marts/facility_source_files"))


def _with_source_files(facilities: pa.Table, files: pa.Table) -> pa.Table:
    """source_file: the files of each row's source, list date and prefecture, joined by ';'."""
    import polars as pl

    frame = pl.from_arrow(facilities)
    names = pl.from_arrow(files)
    assert isinstance(frame, pl.DataFrame) and isinstance(names, pl.DataFrame)
    joined = (
        names.sort("file_name")
        .group_by("source", "as_of", "pref_code", maintain_order=True)
        .agg(pl.col("file_name").unique(maintain_order=True).str.join(";").alias("source_file"))
    )
    columns = [*frame.columns[: frame.columns.index("pref_code")], "source_file"]
    columns += [c for c in frame.columns if c not in columns]
    out = frame.join(
        joined,
        on=["source", "as_of", "pref_code"],
        how="left",
        nulls_equal=True,
        maintain_order="left",
    ).select(columns)
    return out.to_arrow()


def _reference_provenance() -> dict[str, str]:
    return {
        path.name: file_sha256(path)
        for path in sorted(DATA_DIR.glob("*.csv"))
        if path.name
        in {
            "juri_kigo.csv",
            "claim_codes.csv",
            "secondary_areas.csv",
            "municipalities.csv",
            "population.csv",
            "population_projection.csv",
            "projection_units.csv",
        }
    }


def warehouse_state(records: WarehouseRecords) -> str:
    """A digest of everything an export is computed from: the ingested files, the codes added
    to the code table, the reference tables and zaitaku's version. Two exports with the same
    digest and choices are the same, so `zaitaku refresh` need not write the second."""
    # Every column of the log but the summary shown at ingest, so that whatever later marks a
    # file (replaced, removed) changes the digest too.
    ingests = [{k: v for k, v in row.items() if k != "details"} for row in records.ingest_log()]
    codes = records.code_additions()
    state = {
        "ingests": ingests,
        "code_additions": codes,
        "reference_sha256": _reference_provenance(),
        "zaitaku_version": __version__,
    }
    return hashlib.sha256(json.dumps(state, default=str).encode("utf-8")).hexdigest()


def aggregate(
    wh: Warehouse,
    *,
    level: str,
    out_dir: Path,
    plan: str = DEFAULT_PLAN,
    as_of: date | None = None,
    period: str = DEFAULT_PERIOD,
    csv_encoding: str = "utf-8-sig",
    suppress: bool = True,
    xlsx: bool = False,
    min_facilities: int = 0,
    engine: Engine | None = None,
) -> AggregateResult:
    """Compute every output the warehouse has data for at `level` and publish it in `out_dir`.

    The outputs and their manifest form one set, `out_dir/<set name>/` (see choices.ExportChoice
    for the name): it replaces the previous set of the same name at once, or not at all. With
    `xlsx` the set also holds `<set name>.xlsx`, every output in one workbook (workbook.py).
    `engine` runs the SQL of the facilities and claims outputs (default: the warehouse's
    DuckDB; see zaitaku_cli.engine); population, rates, the manifest and the export log are
    the warehouse's either way (they read no claim line).
    """
    engine = engine or wh
    choice = ExportChoice(
        level=level,
        plan=plan,
        period=period,
        as_of=as_of,
        suppress=suppress,
        min_facilities=min_facilities or None,
    )
    result = AggregateResult(level=level, plan=plan, as_of=as_of)
    snapshots = available_snapshots(engine) if as_of is not None else []
    if as_of is not None and as_of not in snapshots:
        raise SnapshotNotFound(
            "no facility list or count table as of {as_of} in {path} (available: {dates}); "
            "omit --as-of to use the latest",
            as_of=as_of.isoformat(),
            path=wh.path,
            dates=join(d.isoformat() for d in snapshots) or t("none"),
        )

    facilities = build_facilities_by_area(engine, level=level, plan=plan, as_of=as_of)
    claims = None
    if engine.count_rows("claim_lines"):
        from zaitaku_cli.claims_aggregate import build_claims_by_area

        claims = build_claims_by_area(
            engine,
            level=level,
            plan=plan,
            period=period,
            suppress=suppress,
            min_facilities=min_facilities,
        )
        result.warnings += claims.warnings
        result.claims_cells = claims.cells
    if not facilities.num_rows and claims is None:
        raise SnapshotNotFound(
            "the warehouse {path} holds no facility list, count table or claims yet: "
            "run `zaitaku ingest …` first",
            path=wh.path,
        )
    result.warnings += _partial_count_warnings(facilities)
    # Rates need the outputs above as their numerators: a rate is never of a figure not published.
    # the population of the prefectures the outputs cover, not the whole country's 1,741
    # municipalities beside a one-prefecture analysis
    population = build_population_by_area(
        wh, level=level, plan=plan, pref_codes=_prefectures(facilities, claims)
    )
    rates = build_rates_by_area(
        wh,
        level=level,
        plan=plan,
        facilities=facilities if facilities.num_rows else None,
        claims=claims.table if claims is not None else None,
        population_prepared=True,  # by build_population_by_area just above
    )
    result.warnings += rates.warnings

    with output_set(out_dir, choice.set_name) as files:
        if facilities.num_rows:
            result.facilities = facilities
            result.outputs += files.write_table(
                facilities,
                choice.stem("facilities"),
                metadata={"source": FACILITY_SOURCE_NOTE, "level": level, "plan": plan},
                csv_encoding=csv_encoding,
            )
        if claims is not None:
            result.claims = claims.table
            result.outputs += files.write_table(
                claims.table,
                choice.stem("claims"),
                metadata=claims.metadata,
                csv_encoding=csv_encoding,
                suppress_flags=SUPPRESS_FLAGS,
            )
        result.population = population.table
        result.outputs += files.write_table(
            population.table,
            choice.stem("population"),
            metadata=population.metadata,
            csv_encoding=csv_encoding,
        )
        result.rates = rates.table
        result.outputs += files.write_table(
            rates.table,
            choice.stem("rates"),
            metadata=rates.metadata,
            csv_encoding=csv_encoding,
            suppress_flags=RATES_SUPPRESS_FLAGS,
        )
        manifest = {
            "zaitaku_version": __version__,
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "warehouse": str(wh.path),
            "set": choice.set_name,
            "level": level,
            "plan": plan,
            "as_of": as_of.isoformat() if as_of else "latest per prefecture",
            "period": period,
            "engine": engine.name,
            "suppression": "ndb" if suppress else "off (internal use only: not for publication)",
            "csv_encoding": csv_encoding,
            "warehouse_state": warehouse_state(wh),
            "coverage": COVERAGE,
            "inputs": wh.ingests(),
            "reference_sha256": _reference_provenance(),
            "outputs": list(files.entries),
            "warnings": result.warnings,
        }
        if xlsx:
            # Written before the manifest, so that the manifest lists it with its sha256.
            result.workbook = files.write_workbook(choice.workbook_name, manifest)
            result.outputs.append(result.workbook)
            manifest["outputs"] = list(files.entries)
        result.manifest = files.write_json(choice.manifest_name, manifest)
        # Logged inside the block: a set that fails to publish is not recorded as exported.
        wh.log_export(level, manifest)
    result.folder = out_dir / choice.set_name
    result.warnings += _older_layout_warnings(out_dir, choice)
    return result


def _prefectures(facilities: pa.Table, claims: ClaimsAggregate | None) -> set[str]:
    """Prefectures of the areas in the outputs (an area code starts with its prefecture's)."""
    import pyarrow.compute as pc

    prefs: set[str] = set()
    for table in (facilities, claims.table if claims is not None else None):
        if table is not None and table.num_rows:
            codes = pc.unique(pc.utf8_slice_codeunits(table["area_code"], 0, 2))
            prefs.update(code for code in codes.to_pylist() if code)
    return prefs


def _older_layout_warnings(out_dir: Path, choice: ExportChoice) -> list[str]:
    """zaitaku ≤ 0.1 wrote files straight into the output folder; they are no longer updated."""
    stale = [
        name
        for name in (
            f"{choice.stem('facilities')}.csv",
            f"{choice.stem('claims')}.csv",
            f"manifest_{choice.set_name}.json",
        )
        if (out_dir / name).is_file()
    ]
    if not stale:
        return []
    return [
        f"{out_dir} still holds {', '.join(stale)} (and their .parquet) written by an older "
        f"zaitaku: they are not updated any more; the current files are in "
        f"{out_dir / choice.set_name}. Delete the old ones so that nobody opens them by mistake"
    ]


def _partial_count_warnings(facilities: pa.Table) -> list[str]:
    """Areas only partly covered by a count table: their figure is not the area's total."""
    if "members_covered" not in facilities.column_names:
        return []
    import polars as pl

    frame = pl.from_arrow(facilities)
    assert isinstance(frame, pl.DataFrame)
    partial = (
        frame.filter(pl.col("members_covered") < pl.col("members_total"))
        .select("area_code", "area_name", "members_covered", "members_total", "source_file")
        .unique()
        .sort("area_code")
    )
    return [
        f"{r['area_code']} {r['area_name']}: the count table {r['source_file']} lists "
        f"{r['members_covered']} of its {r['members_total']} municipalities, so its figures are "
        "not the area's total (coverage column 'partial')"
        for r in partial.iter_rows(named=True)
    ]
