"""What each registered facility did in a fiscal year, and the disclosure control of listings that
show it facility by facility (`candidates`, the registered-but-inactive listing, `supply`).

Facility names are public; the claims counts beside them are not, below the NDB threshold. A
listing is suppressed like a claims row (domain.md §6), the row being one area and one measure
across its facilities: values 1–9 are withheld; where that leaves exactly one hidden cell, the
cells equal to the smallest value ≥ 10 are withheld too. The other billing facilities of the
area — never listed — count as one more hidden cell ("the rest"): published area totals minus
the listed facilities would otherwise give it back when it is small, or give back the one
suppressed facility when the rest is 0.
"""

from __future__ import annotations

import polars as pl

from zaitaku_cli.warehouse import Warehouse

__all__ = [
    "ACTIVITY_COLUMNS",
    "LISTING_SUPPRESS_FLAGS",
    "prepare_facility_roster",
    "suppress_listing",
]

# value column → its flag, as export.csv_bytes(suppress_flags=...) expects them
LISTING_SUPPRESS_FLAGS = {
    "houmon_patients": "houmon_patients_suppressed",
    "oushin_patients": "oushin_patients_suppressed",
    "oushin_count": "oushin_count_suppressed",
    "mitori_patients": "mitori_patients_suppressed",
}
ACTIVITY_COLUMNS = tuple(LISTING_SUPPRESS_FLAGS)

# a period no claim line has: the roster then shows no activity (and says the claims cannot tell)
NO_PERIOD = "none"


def prepare_facility_roster(wh: Warehouse, *, level: str, plan: str, period: str | None) -> None:
    """Materialise facility_roster (and facility_activity, facility_activity_places) for `level`
    and the fiscal year `period` ('FY2023'; None: no claims, every facility without activity)."""
    wh.materialize("staging/stg_area_units", {"plan": plan})
    wh.materialize("staging/stg_facility_categories", {"as_of": None})
    wh.materialize("staging/stg_claim_facility_locations")
    wh.materialize("marts/facility_activity", {"period": period or NO_PERIOD})
    wh.materialize("marts/facility_activity_places", {"level": level})
    wh.materialize("marts/facility_roster", {"level": level, "period": period or NO_PERIOD})


def suppress_listing(listing: pl.DataFrame, places: pl.DataFrame) -> pl.DataFrame:
    """`listing` (facility rows with area_code, facility_code10 and ACTIVITY_COLUMNS) with small
    values withheld (null) and a `<column>_suppressed` flag per column.

    `places` is facility_activity_places: every billing facility of the areas with its values;
    those not in the listing form each area's hidden rest. A facility listed twice (two
    categories) is one cell.
    """
    cells = listing.select("area_code", "facility_code10", *ACTIVITY_COLUMNS).unique(
        subset=["area_code", "facility_code10"], keep="first"
    )
    rest = (
        places.join(cells.select("facility_code10"), on="facility_code10", how="anti")
        .group_by("area_code")
        .agg(pl.col(c).sum().alias(f"{c}_rest") for c in ACTIVITY_COLUMNS)
    )
    cells = cells.join(rest, on="area_code", how="left")
    flags = []
    for column in ACTIVITY_COLUMNS:
        value, rest_value = pl.col(column), pl.col(f"{column}_rest").fill_null(0)
        primary = (value >= 1) & (value <= 9)
        hidden = primary.sum().over("area_code") + (rest_value > 0).cast(pl.UInt32)
        small = primary.sum().over("area_code") + ((rest_value >= 1) & (rest_value <= 9)).cast(
            pl.UInt32
        )
        smallest = pl.when(value >= 10).then(value).min().over("area_code")
        secondary = (hidden == 1) & (small == 1) & (value == smallest)
        flags.append((primary | secondary.fill_null(False)).alias(LISTING_SUPPRESS_FLAGS[column]))
    flagged = cells.select("facility_code10", *flags)
    out = listing.join(flagged, on="facility_code10", how="left", maintain_order="left")
    return out.with_columns(
        pl.when(pl.col(flag)).then(None).otherwise(pl.col(column)).alias(column)
        for column, flag in LISTING_SUPPRESS_FLAGS.items()
    )
