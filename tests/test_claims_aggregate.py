"""Claims indicators per area from hand-made claim lines: units, bases, age groups, suppression.

Every expected number is worked out by hand in the comments from the few lines each test adds.
Areas (岩手県, 8th plan): 盛岡市 03201 and 矢巾町 03322 are in the 盛岡 二次医療圏 0301.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from factories.claim_lines import (
    MITORI,
    OUSHIN,
    SAISHIN,
    Line,
    add_lines,
    locate_facility,
    repeat,
)
from zaitaku_cli.claims_aggregate import (
    COVERAGE,
    SUPPRESS_FLAGS,
    ClaimsAggregate,
    build_claims_by_area,
)
from zaitaku_cli.errors import ConfigError
from zaitaku_cli.export import write_outputs
from zaitaku_cli.warehouse import Warehouse

MORIOKA = "03201"
YAHABA = "03322"
TAKIZAWA = "03216"
HACHIMANTAI = "03214"
F_MORIOKA = "0310000001"  # located in 盛岡市
F_YAHABA = "0310000002"  # located in 矢巾町
F_UNLISTED = "0310000009"  # in no bureau list

Cell = tuple[str, str, str, str, str]  # period, area_code, indicator, basis, age_group


def cells(result: ClaimsAggregate) -> dict[Cell, dict[str, object]]:
    frame = pl.from_arrow(result.table)
    assert isinstance(frame, pl.DataFrame)
    return {
        (r["period"], r["area_code"], r["indicator"], r["basis"], r["age_group"]): r
        for r in frame.iter_rows(named=True)
    }


def units(row: dict[str, object]) -> tuple[object, ...]:
    return (row["patients"], row["claims"], row["count"], row["facilities"])


@pytest.fixture
def one_patient_two_places(warehouse: Warehouse) -> Warehouse:
    """P1 (80, lives in 盛岡市) is visited by a 盛岡 clinic in May and a 矢巾 clinic in June.

    May: two lines at F_MORIOKA (times 1 and 2) = one claim, count 3. June: one line at
    F_YAHABA, times 1. Plus a 再診料 line of P1 that no indicator counts.
    """
    locate_facility(warehouse, F_MORIOKA, MORIOKA)
    locate_facility(warehouse, F_YAHABA, YAHABA)
    add_lines(
        warehouse,
        [
            Line("P1", "2023-05", F_MORIOKA, MORIOKA, times=1),
            Line("P1", "2023-05", F_MORIOKA, MORIOKA, times=2),
            Line("P1", "2023-06", F_YAHABA, MORIOKA, times=1),
            Line("P1", "2023-06", F_YAHABA, MORIOKA, act=SAISHIN),
        ],
    )
    return warehouse


def test_units_and_bases_at_municipality_level(one_patient_two_places: Warehouse) -> None:
    result = build_claims_by_area(one_patient_two_places, level="municipality", suppress=False)
    got = cells(result)
    # Residence: one person, claims = May@盛岡 + June@矢巾 = 2, count = 1 + 2 + 1 = 4, two clinics.
    assert units(got[("FY2023", MORIOKA, "houmon_shinryo", "residence", "total")]) == (1, 2, 4, 2)
    # Facility basis: the person counts once in each facility's municipality (1 + 1) …
    assert units(got[("FY2023", MORIOKA, "houmon_shinryo", "facility", "total")]) == (1, 1, 3, 1)
    assert units(got[("FY2023", YAHABA, "houmon_shinryo", "facility", "total")]) == (1, 1, 1, 1)
    # … and nobody lives in 矢巾町: a zero row, not a missing one.
    assert units(got[("FY2023", YAHABA, "houmon_shinryo", "residence", "total")]) == (0, 0, 0, 0)
    # 80 years old: all of it in 75plus, nothing under 65.
    assert units(got[("FY2023", MORIOKA, "houmon_shinryo", "residence", "75plus")]) == (1, 2, 4, 2)
    assert units(got[("FY2023", MORIOKA, "houmon_shinryo", "residence", "under65")]) == (0, 0, 0, 0)
    # The 再診料 line is in no indicator; indicators without lines are zero rows.
    assert units(got[("FY2023", MORIOKA, "oushin", "residence", "total")]) == (0, 0, 0, 0)
    assert result.lines == 4
    assert result.indicator_lines == 3
    assert result.unknown_facilities == 0
    assert result.table.column("area_level").to_pylist()[0] == "municipality"


def test_patients_are_not_summed_across_areas_or_months(one_patient_two_places: Warehouse) -> None:
    wh = one_patient_two_places
    # Prefecture level: the two municipalities' facility rows were 1 + 1, the prefecture is 1.
    pref = cells(build_claims_by_area(wh, level="prefecture", suppress=False))
    assert units(pref[("FY2023", "03", "houmon_shinryo", "facility", "total")]) == (1, 2, 4, 2)
    # Secondary area 盛岡 (0301) holds both clinics: still one patient.
    area = cells(build_claims_by_area(wh, level="secondary-area", suppress=False))
    assert units(area[("FY2023", "0301", "houmon_shinryo", "facility", "total")]) == (1, 2, 4, 2)
    # By month the same person is 1 in May and 1 in June, while the fiscal year above is 1.
    month = cells(build_claims_by_area(wh, level="municipality", period="month", suppress=False))
    assert units(month[("2023-05", MORIOKA, "houmon_shinryo", "residence", "total")]) == (
        1,
        1,
        3,
        1,
    )
    assert units(month[("2023-06", MORIOKA, "houmon_shinryo", "residence", "total")]) == (
        1,
        1,
        1,
        1,
    )
    assert {key[0] for key in month} == {"2023-05", "2023-06"}


def test_fiscal_year_runs_april_to_march(warehouse: Warehouse) -> None:
    # 2024-03 belongs to FY2023, 2024-04 to FY2024: two periods, one patient in each.
    add_lines(
        warehouse,
        [
            Line("P1", "2024-03", F_UNLISTED, MORIOKA),
            Line("P1", "2024-04", F_UNLISTED, MORIOKA),
        ],
    )
    got = cells(build_claims_by_area(warehouse, level="municipality", suppress=False))
    assert got[("FY2023", MORIOKA, "houmon_shinryo", "residence", "total")]["patients"] == 1
    assert got[("FY2024", MORIOKA, "houmon_shinryo", "residence", "total")]["patients"] == 1


def test_age_groups_and_a_birthday_within_the_year(warehouse: Warehouse) -> None:
    locate_facility(warehouse, F_MORIOKA, MORIOKA)
    add_lines(
        warehouse,
        [
            # P4 turns 75 between September and October: one person in 65to74 and in 75plus,
            # but once in total (total is computed on its own, not as a sum of groups).
            Line("P4", "2023-09", F_MORIOKA, MORIOKA, age=74),
            Line("P4", "2023-10", F_MORIOKA, MORIOKA, age=75),
            # P5 is 64: under65. P6 is 65: 65to74.
            Line("P5", "2023-09", F_MORIOKA, MORIOKA, age=64),
            Line("P6", "2023-09", F_MORIOKA, MORIOKA, age=65),
        ],
    )
    got = cells(build_claims_by_area(warehouse, level="municipality", suppress=False))
    key = ("FY2023", MORIOKA, "houmon_shinryo", "residence")
    assert got[(*key, "under65")]["patients"] == 1  # P5
    assert got[(*key, "65to74")]["patients"] == 2  # P4 (September), P6
    assert got[(*key, "75plus")]["patients"] == 1  # P4 (October)
    assert got[(*key, "total")]["patients"] == 3  # P4, P5, P6: not 1 + 2 + 1 = 4
    assert got[(*key, "total")]["claims"] == 4  # P4 Sep, P4 Oct, P5 Sep, P6 Sep
    assert (*key, "unknown") not in got  # every line has an age


def test_a_claim_whose_lines_disagree_is_still_one_claim(warehouse: Warehouse) -> None:
    locate_facility(warehouse, F_MORIOKA, MORIOKA)
    add_lines(
        warehouse,
        [
            # P7's September claim at F_MORIOKA has a line at 74 (times 1) and one at 75 (times 2).
            Line("P7", "2023-09", F_MORIOKA, MORIOKA, age=74, times=1),
            Line("P7", "2023-09", F_MORIOKA, MORIOKA, age=75, times=2),
            # P8's September claim names two residences (a move): 盛岡市 and 矢巾町.
            Line("P8", "2023-09", F_MORIOKA, MORIOKA, age=80),
            Line("P8", "2023-09", F_MORIOKA, YAHABA, age=80),
        ],
    )
    got = cells(build_claims_by_area(warehouse, level="municipality", suppress=False))
    res = ("FY2023", MORIOKA, "houmon_shinryo", "residence")
    assert units(got[(*res, "65to74")]) == (1, 1, 1, 1)  # P7's 74 line
    # 75plus: P7's 75 line (count 2) + P8's 盛岡 line (count 1): 2 patients, 2 claims.
    assert units(got[(*res, "75plus")]) == (2, 2, 3, 1)
    # total: P7 once (claim counted once, count 1 + 2) + P8's 盛岡 line.
    assert units(got[(*res, "total")]) == (2, 2, 4, 1)
    assert units(got[("FY2023", YAHABA, "houmon_shinryo", "residence", "total")]) == (1, 1, 1, 1)
    # Facility basis (all at F_MORIOKA in 盛岡市): P7 one claim, P8 one claim, count 1+2+1+1.
    assert units(got[("FY2023", MORIOKA, "houmon_shinryo", "facility", "total")]) == (2, 2, 5, 1)
    assert units(got[("FY2023", MORIOKA, "houmon_shinryo", "facility", "75plus")]) == (2, 2, 4, 1)


def test_facility_in_no_list_goes_to_the_unknown_area(warehouse: Warehouse) -> None:
    locate_facility(warehouse, F_MORIOKA, MORIOKA)
    add_lines(
        warehouse,
        [
            Line("P2", "2023-07", F_UNLISTED, YAHABA, age=70),
            Line("P3", "2023-07", F_UNLISTED, MORIOKA, age=70),
            Line("P3", "2023-08", F_MORIOKA, MORIOKA, age=70),
        ],
    )
    muni = build_claims_by_area(warehouse, level="municipality", suppress=False)
    got = cells(muni)
    # F_UNLISTED's two patients (P2, P3 in July) are in 岩手's unknown area: pref '03' + '999'.
    unknown = got[("FY2023", "03999", "houmon_shinryo", "facility", "total")]
    assert unknown["area_name"] == "所在地不明（届出名簿に該当なし）"
    assert units(unknown) == (2, 2, 2, 1)
    # On the residence basis the same lines count where the patients live.
    assert units(got[("FY2023", YAHABA, "houmon_shinryo", "residence", "total")]) == (1, 1, 1, 1)
    # P3 is served by two facilities: residence 盛岡 counts 2 facilities, 1 patient.
    assert units(got[("FY2023", MORIOKA, "houmon_shinryo", "residence", "total")]) == (1, 2, 2, 2)
    assert muni.unknown_facilities == 1
    assert muni.warnings[1:] == [
        "1 billing facility is in no bureau list (2 lines, 66.7% of home-care lines): counted "
        "under 所在地不明（届出名簿に該当なし） on the facility basis (e.g. 0310000009)"
    ]
    # Secondary-area level: pref + '99'. Prefecture level: the prefecture itself, from the code.
    area = cells(build_claims_by_area(warehouse, level="secondary-area", suppress=False))
    assert units(area[("FY2023", "0399", "houmon_shinryo", "facility", "total")]) == (2, 2, 2, 1)
    pref = cells(build_claims_by_area(warehouse, level="prefecture", suppress=False))
    # Prefecture 03 on the facility basis: P2, P3 (unlisted) + P3 (盛岡) = 2 patients, 3 claims.
    assert units(pref[("FY2023", "03", "houmon_shinryo", "facility", "total")]) == (2, 3, 3, 2)


def test_no_bureau_list_warns_that_the_facility_basis_is_unknown(warehouse: Warehouse) -> None:
    add_lines(warehouse, [Line("P1", "2023-05", F_MORIOKA, MORIOKA)])
    result = build_claims_by_area(warehouse, level="municipality", suppress=False)
    assert any(
        w.startswith("no bureau list ingested: facility basis falls under the unknown area")
        for w in result.warnings
    )
    got = cells(result)
    assert got[("FY2023", "03999", "houmon_shinryo", "facility", "total")]["patients"] == 1


def test_latest_list_places_a_facility_that_moved(warehouse: Warehouse) -> None:
    # Listed in 盛岡市 in April, in 矢巾町 in October: the October list wins.
    locate_facility(warehouse, F_MORIOKA, MORIOKA, as_of=date(2025, 4, 1))
    locate_facility(warehouse, F_MORIOKA, YAHABA, as_of=date(2025, 10, 1))
    wh = warehouse
    wh.materialize("staging/stg_claim_facility_locations")
    assert wh.fetch_all("select facility_code10, code5 from stg_claim_facility_locations") == [
        (F_MORIOKA, YAHABA)
    ]


def test_indicators_count_their_own_codes(warehouse: Warehouse) -> None:
    locate_facility(warehouse, F_MORIOKA, MORIOKA)
    add_lines(
        warehouse,
        [
            Line("P1", "2023-05", F_MORIOKA, MORIOKA, act=OUSHIN, times=2),
            Line("P1", "2023-05", F_MORIOKA, MORIOKA, act=MITORI),
        ],
    )
    got = cells(build_claims_by_area(warehouse, level="municipality", suppress=False))
    assert units(got[("FY2023", MORIOKA, "oushin", "residence", "total")]) == (1, 1, 2, 1)
    assert units(got[("FY2023", MORIOKA, "mitori", "residence", "total")]) == (1, 1, 1, 1)
    assert units(got[("FY2023", MORIOKA, "houmon_shinryo", "residence", "total")]) == (0, 0, 0, 0)


# -- suppression ---------------------------------------------------------------------------------
@pytest.fixture
def suppression_case(warehouse: Warehouse) -> Warehouse:
    """One line per patient (so patients = claims = count in every cell), all at F_MORIOKA.

    盛岡市: under65 3, 65to74 12, 75plus 15 (total 30).
    滝沢市: under65 2, 65to74 3, 75plus 20 (total 25): two small cells.
    矢巾町: 75plus 2 (total 2).
    """
    locate_facility(warehouse, F_MORIOKA, MORIOKA)
    base = Line("", "2023-05", F_MORIOKA, MORIOKA)
    lines = (
        repeat(Line("", "2023-05", F_MORIOKA, MORIOKA, age=50), 3, "m-u65")
        + repeat(Line("", "2023-05", F_MORIOKA, MORIOKA, age=70), 12, "m-65")
        + repeat(base, 15, "m-75")
        + repeat(Line("", "2023-05", F_MORIOKA, TAKIZAWA, age=50), 2, "t-u65")
        + repeat(Line("", "2023-05", F_MORIOKA, TAKIZAWA, age=70), 3, "t-65")
        + repeat(Line("", "2023-05", F_MORIOKA, TAKIZAWA), 20, "t-75")
        + repeat(Line("", "2023-05", F_MORIOKA, YAHABA), 2, "y-75")
    )
    add_lines(warehouse, lines)
    return warehouse


def test_small_cells_become_null_with_a_flag(suppression_case: Warehouse) -> None:
    result = build_claims_by_area(suppression_case, level="municipality")
    got = cells(result)
    key = ("FY2023", MORIOKA, "houmon_shinryo", "residence")
    # 3 is suppressed (1–9) in every unit: null, never 0, and flagged.
    u65 = got[(*key, "under65")]
    assert (u65["patients"], u65["claims"], u65["count"]) == (None, None, None)
    assert (u65["patients_suppressed"], u65["claims_suppressed"], u65["count_suppressed"]) == (
        True,
        True,
        True,
    )
    assert u65["suppressed"] is True
    # Secondary rule: exactly one suppressed cell in the row (3), so the smallest value >= 10
    # (12, 65to74) is suppressed too; otherwise 30 - 15 - 12 would give the 3 back.
    assert got[(*key, "65to74")]["patients"] is None
    assert got[(*key, "65to74")]["patients_suppressed"] is True
    # The pattern holds across levels now: the 盛岡 二次医療圏 publishes 75plus = 37 = 盛岡 15 +
    # 滝沢 20 + 矢巾 2, and 矢巾's 2 is hidden, so its smallest shown part (15) is hidden too;
    # otherwise 37 - 15 - 20 gives the 2 back. The total (30) stays shown.
    assert got[(*key, "75plus")]["patients"] is None
    assert got[(*key, "75plus")]["patients_suppressed"] is True
    assert got[(*key, "total")]["patients"] == 30
    # facilities counts institutions: never suppressed (1 here).
    assert u65["facilities"] == 1
    assert result.metadata["suppression"].startswith("ndb:")


def test_zero_stays_zero(suppression_case: Warehouse) -> None:
    got = cells(build_claims_by_area(suppression_case, level="municipality"))
    # Nobody in 八幡平市 and no 往診 anywhere: 0, shown, not flagged.
    for key in [
        ("FY2023", HACHIMANTAI, "houmon_shinryo", "residence", "total"),
        ("FY2023", MORIOKA, "oushin", "residence", "75plus"),
    ]:
        assert (got[key]["patients"], got[key]["claims"], got[key]["count"]) == (0, 0, 0)
        assert got[key]["suppressed"] is False


def test_two_small_cells_need_no_secondary_suppression(suppression_case: Warehouse) -> None:
    got = cells(build_claims_by_area(suppression_case, level="municipality"))
    key = ("FY2023", TAKIZAWA, "houmon_shinryo", "residence")
    # 2 and 3 are suppressed; with two hidden cells the total does not reveal either: 20 shown.
    assert got[(*key, "under65")]["patients"] is None
    assert got[(*key, "65to74")]["patients"] is None
    assert got[(*key, "75plus")]["patients"] == 20
    # Across levels: the 盛岡 area's total 57 = 盛岡 30 + 滝沢 25 + 矢巾 2, and 矢巾's 2 is hidden,
    # so the smallest shown municipality total (25) is hidden with it.
    assert got[(*key, "total")]["patients"] is None


def test_totals_below_ten_are_suppressed(suppression_case: Warehouse) -> None:
    got = cells(build_claims_by_area(suppression_case, level="municipality"))
    total = got[("FY2023", YAHABA, "houmon_shinryo", "residence", "total")]
    assert total["patients"] is None
    assert total["patients_suppressed"] is True
    # the facility basis puts all 30 + 25 + 2 = 57 patients at F_MORIOKA in 盛岡市: shown.
    assert got[("FY2023", MORIOKA, "houmon_shinryo", "facility", "total")]["patients"] == 57


def test_ties_at_the_smallest_shown_value_are_all_suppressed(warehouse: Warehouse) -> None:
    # under65 4, 65to74 12, 75plus 12: both 12s go, or 28 - 12 would still give the 4 back.
    lines = (
        repeat(Line("", "2023-05", F_UNLISTED, MORIOKA, age=50), 4, "a")
        + repeat(Line("", "2023-05", F_UNLISTED, MORIOKA, age=70), 12, "b")
        + repeat(Line("", "2023-05", F_UNLISTED, MORIOKA, age=80), 12, "c")
    )
    add_lines(warehouse, lines)
    got = cells(build_claims_by_area(warehouse, level="municipality"))
    key = ("FY2023", MORIOKA, "houmon_shinryo", "residence")
    assert [got[(*key, g)]["patients"] for g in ("under65", "65to74", "75plus", "total")] == [
        None,
        None,
        None,
        28,
    ]


def test_no_suppress_is_marked_internal(suppression_case: Warehouse) -> None:
    result = build_claims_by_area(suppression_case, level="municipality", suppress=False)
    got = cells(result)
    u65 = got[("FY2023", MORIOKA, "houmon_shinryo", "residence", "under65")]
    assert u65["patients"] == 3
    assert u65["suppressed"] is False
    assert set(result.table.column("suppression").to_pylist()) == {"off"}
    assert "internal use only: not for publication" in result.metadata["suppression"]
    assert any("not for publication" in w for w in result.warnings)


def test_every_row_carries_the_coverage_caveat(suppression_case: Warehouse) -> None:
    result = build_claims_by_area(suppression_case, level="municipality")
    assert set(result.table.column("coverage").to_pylist()) == {
        "国保・後期高齢者のみ（KDB）: 被用者保険・医療扶助を含まない"
    }
    assert result.metadata["coverage"] == COVERAGE
    assert set(result.table.column("suppression").to_pylist()) == {"ndb"}
    assert result.metadata["level"] == "municipality"
    assert result.metadata["period"] == "fiscal-year"
    assert result.metadata["plan"] == "8th"
    assert result.table.column_names[:11] == [
        "period",
        "area_level",
        "area_code",
        "area_name",
        "indicator",
        "basis",
        "age_group",
        "patients",
        "claims",
        "count",
        "facilities",
    ]


def test_written_outputs_show_suppressed_cells(suppression_case: Warehouse, tmp_path: Path) -> None:
    result = build_claims_by_area(suppression_case, level="municipality")
    parquet, csv = write_outputs(
        result.table,
        tmp_path,
        "claims_by_municipality",
        metadata=result.metadata,
        suppress_flags=SUPPRESS_FLAGS,
    )
    table = pq.read_table(parquet)
    assert table.schema.metadata[b"zaitaku.coverage"].decode() == COVERAGE
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    u65 = frame.filter(
        (pl.col("area_code") == MORIOKA)
        & (pl.col("indicator") == "houmon_shinryo")
        & (pl.col("basis") == "residence")
        & (pl.col("age_group") == "under65")
    )
    assert u65["patients"].to_list() == [None]
    text = csv.read_text(encoding="utf-8-sig")
    assert (
        '"FY2023","municipality","03201","盛岡市","houmon_shinryo","residence","under65",'
        '"-","-","-",1,' in text
    )


# -- edges ---------------------------------------------------------------------------------------
def test_no_claim_lines_gives_an_empty_result(warehouse: Warehouse) -> None:
    result = build_claims_by_area(warehouse, level="municipality")
    assert result.empty
    assert result.lines == 0
    assert "patients_suppressed" in result.table.column_names
    assert result.warnings == ["no claim lines ingested: no claims output"]


def test_unknown_level_is_a_config_error(warehouse: Warehouse) -> None:
    with pytest.raises(ConfigError, match="--by must be one of"):
        build_claims_by_area(warehouse, level="city")
