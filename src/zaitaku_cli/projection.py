"""Demand projection (`zaitaku project`): the base fiscal year's usage rate of a claims indicator
per area and age group × the 社人研 2023 projected population of each future year.

`build_projection` returns the projection table (reusable by supply analyses); `project` writes
it as one output set. The arithmetic is sql/marts/projection_by_area.sql.

Base population: the projection year nearest the middle of the base fiscal year (FY2023 → 2025,
FY2022 → 2020), not 住基: the rate and the future population then come from one series, so the
projection moves only with the projected change and not with the gap between 住基 and the
census-based projection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from zaitaku_cli import __version__
from zaitaku_cli.choices import DEFAULT_PLAN, ExportChoice, level_key
from zaitaku_cli.claims_aggregate import ClaimsAggregate, build_claims_by_area
from zaitaku_cli.errors import ConfigError, InputError, SnapshotNotFound
from zaitaku_cli.i18n import N_, and_more, join, t
from zaitaku_cli.output_metadata import COVERAGE
from zaitaku_cli.output_sets import output_set
from zaitaku_cli.population import PROJECTION_SOURCE, PROJECTION_YEARS, prepare_population
from zaitaku_cli.readers.scenario import read_scenario
from zaitaku_cli.reference import DATA_DIR
from zaitaku_cli.warehouse import Warehouse, file_sha256

__all__ = [
    "DEFAULT_INDICATOR",
    "DEFAULT_YEARS",
    "PROJECTION_SUPPRESS_FLAGS",
    "Projection",
    "ProjectionChoice",
    "ProjectionResult",
    "base_population_year",
    "build_projection",
    "project",
]

DEFAULT_INDICATOR = "houmon_shinryo"
DEFAULT_YEARS = (2030, 2035, 2040, 2045, 2050)

# value column → flag column for the CSV: a withheld figure shows '-' as in the claims output
PROJECTION_SUPPRESS_FLAGS = {
    "base_patients": "base_patients_suppressed",
    "rate": "suppressed",
    "projected_patients": "suppressed",
    "projected_patients_with_scenario": "suppressed",
}

METHOD_NOTE = (
    "projected_patients = rate × population; rate = base_patients ÷ base_population per age "
    "group (under65, 65to74, 75plus) and area, where base_patients = distinct patients "
    "(実患者数) of the indicator in the base fiscal year, residence basis, and base_population = "
    "the 社人研 2023 projection of base_population_year, the projection year nearest the base "
    "year (one series for the rate and the future). total = the sum of the three groups; its "
    "rate = projected_patients ÷ population. Patients of unknown age are in no group."
)
SUPPRESSION_NOTE = (
    "A group whose base cell is suppressed in the claims output (NDB rule) has no rate and no "
    "projection (rate × population would give the cell back), and the area's total is withheld "
    "with it (total − the published groups over several years would reveal the groups' rates). "
    "status 'suppressed' and reason say so; CSV shows '-'."
)
UNDERSTATED_NOTE = (
    "understated = true for under65, 65to74 and total: KDB holds 国保 and 後期 claims only, so "
    "patients under 75 are 国保 members only, while the population counts every resident."
)


@dataclass(frozen=True)
class ProjectionChoice:
    """Everything that makes one projection export differ from another; names its set and file.

    The defaults (houmon_shinryo, base = latest complete fiscal year, 2030–2050, no scenario,
    8th plan, suppression on) give `projection_<level>`; other choices add a part to the name.
    """

    level: str
    indicator: str = DEFAULT_INDICATOR
    years: tuple[int, ...] = DEFAULT_YEARS
    base: str | None = None
    scenario: bool = False
    plan: str = DEFAULT_PLAN
    suppress: bool = True

    @property
    def export(self) -> ExportChoice:
        return ExportChoice(level=self.level, plan=self.plan, suppress=self.suppress)

    @property
    def suffix(self) -> str:
        parts = []
        if self.indicator != DEFAULT_INDICATOR:
            parts.append(self.indicator)
        if self.base is not None:
            parts.append(f"base{self.base.removeprefix('FY')}")
        if self.years != DEFAULT_YEARS:
            parts.append("years" + "-".join(str(y) for y in self.years))
        if self.scenario:
            parts.append("scenario")
        return "".join(f"_{p}" for p in parts) + self.export.suffix

    @property
    def set_name(self) -> str:
        return f"projection_{level_key(self.level)}{self.suffix}"

    @property
    def stem(self) -> str:
        return f"projection_by_{level_key(self.level)}{self.suffix}"

    @property
    def manifest_name(self) -> str:
        return f"manifest_{self.set_name}.json"


@dataclass
class Projection:
    """One projection table and what to tell the analyst about it."""

    table: pa.Table
    base_period: str
    base_year: int
    base_months: int
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ProjectionResult:
    projection: Projection
    choice: ProjectionChoice
    folder: Path
    outputs: list[Path] = field(default_factory=list)
    manifest: Path | None = None


def base_population_year(base_period: str) -> int:
    """The projection year nearest the middle (1 October) of fiscal year `FYyyyy`.

    Projection figures are as of 1 October too, so the distance is whole years and never ties.
    """
    year = _fiscal_year(base_period)
    nearest = min(PROJECTION_YEARS, key=lambda p: abs(p - year))
    if abs(nearest - year) > 2:
        raise ConfigError(
            "--base {base}: the population projection covers {first}–{last}; choose a fiscal "
            "year from FY{first_base} to FY{last_base}",
            base=base_period,
            first=PROJECTION_YEARS[0],
            last=PROJECTION_YEARS[-1],
            first_base=PROJECTION_YEARS[0] - 2,
            last_base=PROJECTION_YEARS[-1] + 2,
        )
    return nearest


def _fiscal_year(label: str) -> int:
    text = label.strip().upper()
    if not (text.startswith("FY") and text[2:].isdigit() and len(text) == 6):
        raise ConfigError("--base must be a fiscal year like FY2023, not {label!r}", label=label)
    return int(text[2:])


def check_years(years: tuple[int, ...]) -> tuple[int, ...]:
    """Sorted distinct projection years; any year the projection lacks is an error."""
    bad = [y for y in years if y not in PROJECTION_YEARS]
    if bad or not years:
        raise ConfigError(
            "--years: {years} not in the 社人研 2023 projection; use {known}",
            years=join(bad) or t("(none)"),
            known=join(PROJECTION_YEARS),
        )
    return tuple(sorted(set(years)))


def _fiscal_year_months(wh: Warehouse) -> dict[str, int]:
    """Service months present in the claim lines, per fiscal year (FY2023 → 12)."""
    rows = wh.rows("checks/claim_fiscal_year_months")
    return {str(label): int(months) for label, months in rows}


def choose_base_period(wh: Warehouse, requested: str | None) -> tuple[str, int, list[str]]:
    """(base fiscal year, months it has, warnings): the requested one, else the latest complete.

    A usage rate over part of a year counts fewer distinct patients than a whole year would,
    so a base year with fewer than 12 months is said out loud.
    """
    months = _fiscal_year_months(wh)
    if not months:
        raise SnapshotNotFound(
            "the warehouse {path} holds no claim lines: run `zaitaku ingest claims` first",
            path=wh.path,
        )
    if requested is not None:
        label = f"FY{_fiscal_year(requested)}"
        if label not in months:
            raise SnapshotNotFound(
                "--base {base}: no claim lines in {label} (available: {available})",
                base=requested,
                label=label,
                available=join(
                    t("{label} ({months} months)", label=label, months=n)
                    for label, n in months.items()
                ),
            )
    else:
        complete = [label for label, n in months.items() if n == 12]
        label = complete[-1] if complete else list(months)[-1]
    warnings = []
    if months[label] < 12:
        warnings.append(
            t(
                "the base year {label} has claims for {months} of its 12 months: its usage "
                "rates (patients in the year) are understated; choose a complete year with --base",
                label=label,
                months=months[label],
            )
        )
    return label, months[label], warnings


def _indicators(wh: Warehouse) -> list[str]:
    return [str(r[0]) for r in wh.rows("checks/claim_indicators")]


def _scenario_table(
    path: Path, *, areas: dict[str, str], years: tuple[int, ...], level: str
) -> tuple[pa.Table, list[str]]:
    """The scenario's rows as (area_code, year, additional_patients), checked against the areas
    and years of this projection; codes that lost their leading zeros (Excel) are padded."""
    rows = read_scenario(path)
    width = len(next(iter(areas))) if areas else 0
    warnings: list[str] = []
    padded = 0
    problems: list[tuple[int, str, str]] = []
    seen: dict[tuple[str, int], int] = {}
    out: dict[str, list[Any]] = {"area_code": [], "year": [], "additional_patients": []}
    for r in rows:
        code = r.area_code
        if code not in areas and code.isdigit() and code.zfill(width) in areas:
            code = code.zfill(width)
            padded += 1
        if code not in areas:
            problems.append(
                (
                    r.row,
                    "area_code",
                    t("{code} is not an area of this {level}", code=r.area_code, level=t(level)),
                )
            )
            continue
        if r.year not in years:
            problems.append(
                (
                    r.row,
                    "year",
                    t(
                        "{year} is not a projected year ({years})",
                        year=r.year,
                        years=join(years),
                    ),
                )
            )
            continue
        if (code, r.year) in seen:
            problems.append(
                (
                    r.row,
                    "area_code",
                    t(
                        "{code} {year} is given twice (row {first})",
                        code=code,
                        year=r.year,
                        first=seen[code, r.year],
                    ),
                )
            )
            continue
        seen[code, r.year] = r.row
        out["area_code"].append(code)
        out["year"].append(r.year)
        out["additional_patients"].append(r.additional_patients)
    if problems:
        shown = "; ".join(f"{join([t('row {row}', row=n), c])}: {m}" for n, c, m in problems[:3])
        raise InputError(
            "{count} row(s) do not fit the projection: {problems}",
            file=path,
            row=problems[0][0],
            column=problems[0][1],
            hint="use the area codes of the {level} outputs (e.g. {example})",
            count=len(problems),
            problems=and_more(shown, len(problems) - 3),
            level=t(level),
            example=next(iter(areas), ""),
        )
    if padded:
        warnings.append(
            t(
                "{file}: {count} area codes had lost their leading zeros (saved from Excel?) "
                "and were read as {width}-digit codes",
                file=path.name,
                count=padded,
                width=width,
            )
        )
    missing = len(areas) * len(years) - len(seen)
    if missing:
        warnings.append(
            t(
                "{file} gives no additional patients for {missing} of the {total} area-years: "
                "those show the projection alone",
                file=path.name,
                missing=missing,
                total=len(areas) * len(years),
            )
        )
    schema = pa.schema(
        [("area_code", pa.string()), ("year", pa.int32()), ("additional_patients", pa.float64())]
    )
    return pa.Table.from_pydict(out, schema=schema), warnings


def build_projection(
    wh: Warehouse,
    *,
    level: str,
    indicator: str = DEFAULT_INDICATOR,
    years: tuple[int, ...] = DEFAULT_YEARS,
    base: str | None = None,
    plan: str = DEFAULT_PLAN,
    suppress: bool = True,
    scenario: Path | None = None,
    claims: ClaimsAggregate | None = None,
) -> Projection:
    """Projected patients of `indicator` per area at `level`, age group and year.

    `base` is a fiscal year like FY2023 (default: the latest with 12 months of claims);
    `scenario` a CSV of additional patients per area and year (readers.scenario); `claims` the
    claims output of the same level, plan and suppression by fiscal year when the caller has
    it already (`supply`), so that it is not computed twice. With
    `suppress` (the default) nothing is published that would give back a suppressed base cell.
    """
    ExportChoice(level=level, plan=plan, suppress=suppress)  # checks level and plan
    years = check_years(years)
    known = _indicators(wh)
    if indicator not in known:
        raise ConfigError(
            "--indicator {indicator!r} is not a claims indicator; use one of {known}",
            indicator=indicator,
            known=join(sorted(known)),
        )
    base_period, base_months, warnings = choose_base_period(wh, base)
    base_year = base_population_year(base_period)

    if claims is None:
        claims = build_claims_by_area(
            wh, level=level, plan=plan, period="fiscal-year", suppress=suppress
        )
    if not suppress:
        warnings.append(
            t(
                "projection written without small-cell suppression: internal use only, "
                "not for publication"
            )
        )
    prepare_population(wh, level=level, plan=plan)

    with wh.inputs(projection_claims_input=claims.table):
        areas = {
            str(code): str(name)
            for code, name in wh.rows("checks/projection_base_areas", {"period": base_period})
        }
        scenario_table = pa.schema(
            [
                ("area_code", pa.string()),
                ("year", pa.int32()),
                ("additional_patients", pa.float64()),
            ]
        ).empty_table()
        if scenario is not None:
            scenario_table, scenario_warnings = _scenario_table(
                scenario, areas=areas, years=years, level=level
            )
            warnings += scenario_warnings
        with wh.inputs(
            projection_years_input=pa.table({"year": pa.array(years, type=pa.int32())}),
            projection_scenario_input=scenario_table,
        ):
            table = wh.arrow(
                "marts/projection_by_area",
                {
                    "level": level,
                    "indicator": indicator,
                    "base_period": base_period,
                    "base_year": base_year,
                    "with_scenario": scenario is not None,
                },
            )
        unknown_age = wh.scalar(
            "checks/projection_unknown_age", {"indicator": indicator, "period": base_period}
        )

    table = _with_flags(table, claims.table, indicator=indicator, base_period=base_period)
    if unknown_age:
        warnings.append(
            t(
                "{patients} patients of {base} have no age (age group 'unknown') and are "
                "in no group: the projection leaves them out",
                patients=unknown_age,
                base=base_period,
            )
        )
    warnings += _status_warnings(table)
    metadata: dict[str, Any] = {
        "source": "KDB-style claim lines (claims_by_area, fiscal years) and 社人研 2023 projection",
        "method": METHOD_NOTE,
        "suppression": SUPPRESSION_NOTE if suppress else "off: internal use only",
        "understated": UNDERSTATED_NOTE,
        "coverage": COVERAGE,
        "indicator": indicator,
        "level": level,
        "plan": plan,
        "base_period": base_period,
        "base_months": base_months,
        "base_population_year": base_year,
        "base_population_source": PROJECTION_SOURCE,
        "years": list(years),
        "scenario": str(scenario) if scenario else None,
        "rows": table.num_rows,
    }
    return Projection(
        table=table,
        base_period=base_period,
        base_year=base_year,
        base_months=base_months,
        metadata=metadata,
        warnings=warnings,
    )


def _with_flags(table: pa.Table, claims: pa.Table, *, indicator: str, base_period: str) -> pa.Table:
    """Add the flags the CSV marks with '-': suppressed (status) and base_patients_suppressed
    (the claims output's own flag for the base cell)."""
    import polars as pl

    frame = pl.from_arrow(table)
    cells = pl.from_arrow(claims)
    assert isinstance(frame, pl.DataFrame) and isinstance(cells, pl.DataFrame)
    flags = cells.filter(
        (pl.col("indicator") == indicator)
        & (pl.col("period") == base_period)
        & (pl.col("basis") == "residence")
    ).select("area_code", "age_group", base_patients_suppressed="patients_suppressed")
    out = frame.join(flags, on=["area_code", "age_group"], how="left", maintain_order="left")
    out = out.with_columns(
        pl.col("base_patients_suppressed").fill_null(False),
        suppressed=pl.col("status") == "suppressed",
    )
    return out.to_arrow()


def _status_warnings(table: pa.Table) -> list[str]:
    import polars as pl

    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    warnings = []
    withheld = frame.filter((pl.col("status") == "suppressed") & (pl.col("age_group") == "total"))
    if withheld.height:
        n_areas = withheld["area_code"].n_unique()
        warnings.append(
            t(
                "{withheld} of {areas} areas have an age group whose base count is suppressed "
                "(1–9 or secondary): their rate, projection and total are withheld. A coarser "
                "--by level pools small counts",
                withheld=n_areas,
                areas=frame["area_code"].n_unique(),
            )
        )
    messages = {
        "missing": N_(
            "{count} areas cannot be projected for some age groups or years ({areas}): "
            "see status and reason, e.g. {reason}"
        ),
        "estimated": N_(
            "{count} areas rest on estimates for some age groups or years ({areas}): "
            "see status and reason, e.g. {reason}"
        ),
    }
    for status, message in messages.items():
        part = frame.filter(pl.col("status") == status)
        if part.height:
            areas = part.select("area_code", "area_name").unique().sort("area_code")
            shown = join(f"{c} {n}" for c, n in areas.head(5).rows())
            warnings.append(
                t(
                    message,
                    count=areas.height,
                    areas=and_more(shown, areas.height - 5),
                    reason=part["reason"][0],
                )
            )
    return warnings


def project(
    wh: Warehouse,
    *,
    level: str,
    out_dir: Path,
    indicator: str = DEFAULT_INDICATOR,
    years: tuple[int, ...] = DEFAULT_YEARS,
    base: str | None = None,
    plan: str = DEFAULT_PLAN,
    suppress: bool = True,
    scenario: Path | None = None,
    csv_encoding: str = "utf-8-sig",
) -> ProjectionResult:
    """Compute the projection (build_projection) and publish it as one output set in `out_dir`."""
    years = check_years(years)
    choice = ProjectionChoice(
        level=level,
        indicator=indicator,
        years=years,
        base=f"FY{_fiscal_year(base)}" if base is not None else None,
        scenario=scenario is not None,
        plan=plan,
        suppress=suppress,
    )
    projection = build_projection(
        wh,
        level=level,
        indicator=indicator,
        years=years,
        base=base,
        plan=plan,
        suppress=suppress,
        scenario=scenario,
    )
    result = ProjectionResult(projection=projection, choice=choice, folder=out_dir)
    with output_set(out_dir, choice.set_name) as files:
        result.outputs += files.write_table(
            projection.table,
            choice.stem,
            metadata=projection.metadata,
            csv_encoding=csv_encoding,
            suppress_flags=PROJECTION_SUPPRESS_FLAGS,
        )
        manifest = {
            "zaitaku_version": __version__,
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "warehouse": str(wh.path),
            "set": choice.set_name,
            "level": level,
            "plan": plan,
            "indicator": indicator,
            "base_period": projection.base_period,
            "base_months": projection.base_months,
            "base_population_year": projection.base_year,
            "years": list(years),
            "scenario": (
                {"path": str(scenario), "sha256": file_sha256(scenario)} if scenario else None
            ),
            "suppression": "ndb" if suppress else "off (internal use only: not for publication)",
            "coverage": COVERAGE,
            "inputs": wh.ingests(),
            "reference_sha256": {
                name: file_sha256(DATA_DIR / name)
                for name in ("population_projection.csv", "projection_units.csv", "population.csv")
            },
            "outputs": list(files.entries),
            "warnings": projection.warnings,
        }
        result.manifest = files.write_json(choice.manifest_name, manifest)
        wh.log_export(level, manifest)
    result.folder = out_dir / choice.set_name
    return result
