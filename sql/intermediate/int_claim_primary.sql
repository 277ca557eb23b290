-- int_claim_primary: primary suppression (NDB open-data rule), written once over the long table
-- of units, for every cell of every level.
-- Grain: one row per non-zero (period_id, level_id, area_id, indicator_id, basis, age_group_id,
-- unit), unit in patients, claims, count (facilities counts institutions and is not suppressed).
--   is_primary: value 1–9 (0 stays 0: absent here), or, with $min_facilities > 0, a non-zero
--   value attributable to fewer than $min_facilities billing facilities (the cell's facilities).
-- Complementary suppression (claims_suppression.py) starts from these cells.
-- Parameters: $min_facilities (0 = off).
-- Reads: int_claim_cells.

with

cells as (
    select period_id, level_id, area_id, indicator_id, basis, age_group_id, unit, value
    from int_claim_cells
    where unit <> 'facilities' and value > 0
),

facilities as (
    select period_id, level_id, area_id, indicator_id, basis, age_group_id, value as facilities
    from int_claim_cells
    where unit = 'facilities'
),

final as (
    select
        c.period_id,
        c.level_id,
        c.area_id,
        c.indicator_id,
        c.basis,
        c.age_group_id,
        c.unit,
        c.value,
        coalesce(f.facilities, 0) as facilities,
        c.value between 1 and 9
        or (
            $min_facilities > 0 and coalesce(f.facilities, 0) < $min_facilities
        ) as is_primary
    from cells as c
    left join facilities as f
        on f.period_id = c.period_id
        and f.level_id = c.level_id
        and f.area_id = c.area_id
        and f.indicator_id = c.indicator_id
        and f.basis = c.basis
        and f.age_group_id = c.age_group_id
)

select
    period_id, level_id, area_id, indicator_id, basis, age_group_id, unit, value, facilities,
    is_primary
from final
