"""The claims mart computed period by period, each period's cells kept for the next refresh.

A refresh that adds one month changes one period (the fiscal year or month it falls in); every
other period would be computed again from exactly the same lines. Here marts/claims_by_area
runs only over the lines of the periods whose inputs changed, and the cells of the others are
taken from `claims_period_cache`, where the previous run left them.

Why this is exact (the published table is the same as from one run over all the lines):
- Every cell of the mart is computed from the lines of its own period (patients, claims, count,
  facilities are all per period), given the small inputs the mart reads beside the lines: the
  area units of the level, the facility locations, the code table, the month and municipality
  tables and the SQL itself. A period is taken from the cache only when all of these and its
  own lines are as they were: its key digests those inputs' contents and, for the lines, each
  ingest's number of lines in the period and the sum of their line numbers. Ingests only ever
  add lines under a new id or delete lines (replace, remove), so any change shows in the key.
- The one thing the mart takes across periods is its zero grid: every area of the prefectures
  the claims cover, and every area anyone was counted in, gets a row (0 where nobody was) in
  every period. Run over some periods only, the mart builds the grid of those periods; the
  union over all periods of their grids is the grid of one run over all lines, so the grid is
  closed at the end over the union (`_close_grid`).
Suppression runs afterwards on the whole table, as before.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pyarrow as pa

from zaitaku_cli import __version__
from zaitaku_cli.sql_files import load_sql
from zaitaku_cli.warehouse import Warehouse

__all__ = ["CACHE_TABLE", "materialize_claims_by_area"]

CACHE_TABLE = "claims_period_cache"
_LABELS = "claims_periods_wanted"
# The ages of the zero grid ('unknown' rows exist only where a line had no age).
_GRID_AGES = ("total", "under65", "65to74", "75plus")
_MART = "marts/claims_by_area"


def _label(period: str) -> str:
    return "month_label" if period == "month" else "fy_label"


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, default=str).encode("utf-8")).hexdigest()


def _period_contents(wh: Warehouse, period: str) -> dict[str, list[tuple[Any, ...]]]:
    """Per period label: (ingest_id, lines, sum of line numbers) of the lines in it."""
    rows = wh.fetch_all(
        f"""
        select m.{_label(period)} as label, l.ingest_id, count(*), sum(l.source_row)
        from claim_lines as l
        inner join ref_months as m on m.month_start = l.service_month
        group by m.{_label(period)}, l.ingest_id
        order by 1, 2
        """
    )
    found: dict[str, list[tuple[Any, ...]]] = {}
    for label, ingest_id, lines, rows_sum in rows:
        found.setdefault(label, []).append((ingest_id, lines, rows_sum))
    return found


def _inputs_digest(wh: Warehouse, *, level: str, plan: str, period: str) -> str:
    """Everything the mart reads besides the lines, by content (materialised for this run)."""
    parts: dict[str, Any] = {
        "level": level,
        "plan": plan,
        "period": period,
        "version": __version__,
        "sql": load_sql(_MART),
    }
    queries = {
        "units": "select * from stg_area_units where level = $level order by all",
        "locations": "select * from stg_claim_facility_locations order by all",
        "codes": "select code, indicator from ref_claim_codes order by all",
        "months": "select month_start, month_label, fy_label from ref_months order by all",
        "municipalities": (
            "select pref_code, name, kind from ref_municipalities where kind = '都道府県' "
            "order by all"
        ),
    }
    for name, query in queries.items():
        params = {"level": level} if "$level" in query else {}
        parts[name] = _digest(wh.fetch_all(query, params))
    return _digest(parts)


def _cache_exists(wh: Warehouse) -> bool:
    return bool(
        wh.fetch_all(
            "select count(*) from information_schema.tables where table_name = $t "
            "and table_schema = 'main'",
            {"t": CACHE_TABLE},
        )[0][0]
    )


def materialize_claims_by_area(
    wh: Warehouse, *, level: str, plan: str, period: str
) -> dict[str, int]:
    """Fill the temp table claims_by_area as `wh.materialize(marts/claims_by_area)` would,
    computing only the periods whose inputs changed since the cache was written, and update
    the cache. Returns {"computed": n, "reused": n} periods."""
    contents = _period_contents(wh, period)
    base = _inputs_digest(wh, level=level, plan=plan, period=period)
    keys = {label: _digest([base, lines]) for label, lines in contents.items()}
    scope = {"level": level, "plan": plan, "kind": period}
    cached: dict[str, str] = {}
    if _cache_exists(wh):
        cached = dict(
            wh.fetch_all(
                f"select distinct period, cache_key from {CACHE_TABLE} "
                "where level = $level and plan = $plan and period_kind = $kind",
                scope,
            )
        )
    reuse = sorted(label for label, key in keys.items() if cached.get(label) == key)
    compute = sorted(label for label in keys if label not in reuse)

    _compute(wh, level=level, period=period, labels=compute)
    columns = [d[0] for d in wh.con.execute("select * from claims_by_area limit 0").description]
    if reuse and _cached_columns(wh) != columns:
        # a cache left by a zaitaku whose mart had other columns: compute every period
        reuse, compute = [], sorted(keys)
        _compute(wh, level=level, period=period, labels=compute)
    _store(wh, scope, columns, compute, keys)
    if reuse:
        listed = ", ".join(columns)
        wh.con.register(_LABELS, pa.table({"label": pa.array(reuse, pa.string())}))
        try:
            wh.con.execute(
                f"insert into claims_by_area select {listed} from {CACHE_TABLE} "
                "where level = $level and plan = $plan and period_kind = $kind "
                f"and period in (select label from {_LABELS})",
                scope,
            )
        finally:
            wh.con.unregister(_LABELS)
    _close_grid(wh, level=level, columns=columns)
    return {"computed": len(compute), "reused": len(reuse)}


def _compute(wh: Warehouse, *, level: str, period: str, labels: list[str]) -> None:
    """The mart over the lines of `labels` only: claim_lines is shadowed for the duration by a
    temp view of those lines (the mart reads the table by name), then the view is dropped."""
    catalog = wh.fetch_all("select current_database()")[0][0]
    wh.con.register(_LABELS, pa.table({"label": pa.array(labels, pa.string())}))
    try:
        wh.con.execute(
            f"""
            create or replace temp view claim_lines as
            select l.*
            from "{catalog}".main.claim_lines as l
            where l.service_month in (
                select month_start from ref_months
                where {_label(period)} in (select label from {_LABELS})
            )
            """
        )
        try:
            wh.materialize(_MART, {"level": level, "period": period})
        finally:
            wh.con.execute("drop view if exists temp.claim_lines")
    finally:
        wh.con.unregister(_LABELS)


def _store(
    wh: Warehouse,
    scope: dict[str, str],
    columns: list[str],
    computed: list[str],
    keys: dict[str, str],
) -> None:
    """Replace the cache rows of the computed periods (and drop periods that no longer have
    lines) with what was just computed."""
    if _cache_exists(wh):
        have = [d[0] for d in wh.con.execute(f"select * from {CACHE_TABLE} limit 0").description]
        if have[4:] != columns:
            # the mart's columns changed (a newer zaitaku): start the cache again
            wh.con.execute(f"drop table {CACHE_TABLE}")
    if not _cache_exists(wh):
        # One row per cell of the mart (its columns as they are), under the run it belongs to.
        wh.con.execute(
            f"create table {CACHE_TABLE} as select cast(null as varchar) as level, "
            "cast(null as varchar) as plan, cast(null as varchar) as period_kind, "
            "cast(null as varchar) as cache_key, * from claims_by_area limit 0"
        )
    stale = sorted(set(computed) | _cached_periods(wh, scope) - set(keys))
    wh.con.register(_LABELS, pa.table({"label": pa.array(stale, pa.string())}))
    try:
        wh.con.execute(
            f"delete from {CACHE_TABLE} where level = $level and plan = $plan "
            f"and period_kind = $kind and period in (select label from {_LABELS})",
            scope,
        )
    finally:
        wh.con.unregister(_LABELS)
    key_rows = pa.table(
        {
            "label": pa.array(computed, pa.string()),
            "cache_key": pa.array([keys[label] for label in computed], pa.string()),
        }
    )
    wh.con.register("claims_periods_keys", key_rows)
    try:
        wh.con.execute(
            f"insert into {CACHE_TABLE} select $level, $plan, $kind, k.cache_key, "
            + ", ".join(f"c.{col}" for col in columns)
            + " from claims_by_area as c inner join claims_periods_keys as k on k.label = c.period",
            scope,
        )
    finally:
        wh.con.unregister("claims_periods_keys")


def _cached_columns(wh: Warehouse) -> list[str] | None:
    """The mart columns the cache holds (after its own four), None without a cache."""
    if not _cache_exists(wh):
        return None
    described = wh.con.execute(f"select * from {CACHE_TABLE} limit 0").description
    return [d[0] for d in described][4:]


def _cached_periods(wh: Warehouse, scope: dict[str, str]) -> set[str]:
    return {
        row[0]
        for row in wh.fetch_all(
            f"select distinct period from {CACHE_TABLE} where level = $level and plan = $plan "
            "and period_kind = $kind",
            scope,
        )
    }


def _close_grid(wh: Warehouse, *, level: str, columns: list[str]) -> None:
    """Zero rows for every (period, basis, area) × indicator × age group of the grid that the
    union of the periods' grids holds and a period lacks (see the module docstring)."""
    ages = " union all ".join(f"select '{age}' as age_group" for age in _GRID_AGES)
    values = {
        "period": "p.period",
        "area_level": "$level",
        "area_code": "a.area_code",
        "area_name": "a.area_name",
        "indicator": "i.indicator",
        "basis": "a.basis",
        "age_group": "g.age_group",
    }
    selected = ", ".join(values.get(col, "cast(0 as bigint)") for col in columns)
    wh.con.execute(
        f"""
        insert into claims_by_area
        with
        periods as (select distinct period from claims_by_area),
        areas as (select distinct basis, area_code, area_name from claims_by_area),
        indicators as (select distinct indicator from ref_claim_codes),
        ages as ({ages}),
        grid as (
            select {selected}
            from periods as p
            cross join areas as a
            cross join indicators as i
            cross join ages as g
        )
        select * from grid as n
        where not exists (
            select 1 from claims_by_area as c
            where c.period = n.period and c.basis = n.basis and c.area_code = n.area_code
                and c.indicator = n.indicator and c.age_group = n.age_group
        )
        """,
        {"level": level},
    )
