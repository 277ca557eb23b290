-- claims_suppressed: the claims mart as published, with small-cell suppression (NDB open-data
-- rule, domain.md §6) applied after aggregation when $suppress is true.
-- Grain: as claims_by_area, one row per (period, area_code, indicator, basis, age_group).
-- Each unit is judged separately: patients, claims and count each have their own flag.
--   1. primary: a cell whose value is 1–9 is suppressed; 0 stays 0. The 'total' age group is a
--      cell like the others, so totals below 10 are suppressed by this rule.
--   2. secondary: a "row" is one (period, area_code, indicator, basis, unit) across its age-group
--      cells under65, 65to74, 75plus (and 'unknown' where present), 'total' excluded. If exactly
--      one cell of the row is suppressed by rule 1, every cell of the row equal to the smallest
--      value >= 10 in that row is suppressed too (ties included), so that the hidden cell cannot
--      be recovered as total minus the other groups. The total itself stays shown when >= 10.
-- A suppressed value becomes null and its flag true; `suppressed` = any flag. Never 0.
-- facilities is not suppressed: it counts institutions, not persons, and the 8th plan publishes
-- the number of 訪問診療を実施している診療所・病院数 per area as it is.
-- Not covered by this rule (as in NDB open data): differencing across areas or levels, e.g. a
-- prefecture row minus its published municipality rows.
-- With $suppress false every flag is false and values are unchanged (internal use only).
-- $coverage and $suppression are written on every row (KDB coverage caveat; 'ndb' or 'off').
-- Reads: claims_by_area (materialised for this run).

with

cells as (
    select
        period, area_level, area_code, area_name, indicator, basis, age_group,
        patients, claims, count, facilities
    from claims_by_area
),

row_stats as (
    select
        period,
        area_code,
        indicator,
        basis,
        sum(case when age_group <> 'total' and patients between 1 and 9 then 1 else 0 end)
            as patients_small_cells,
        min(case when age_group <> 'total' and patients >= 10 then patients end)
            as patients_smallest_shown,
        sum(case when age_group <> 'total' and claims between 1 and 9 then 1 else 0 end)
            as claims_small_cells,
        min(case when age_group <> 'total' and claims >= 10 then claims end)
            as claims_smallest_shown,
        sum(case when age_group <> 'total' and count between 1 and 9 then 1 else 0 end)
            as count_small_cells,
        min(case when age_group <> 'total' and count >= 10 then count end)
            as count_smallest_shown
    from cells
    group by period, area_code, indicator, basis
),

flagged as (
    select
        c.period, c.area_level, c.area_code, c.area_name, c.indicator, c.basis, c.age_group,
        c.patients, c.claims, c.count, c.facilities,
        $suppress and (
            c.patients between 1 and 9
            or (
                c.age_group <> 'total'
                and r.patients_small_cells = 1
                and c.patients = r.patients_smallest_shown
            )
        ) as patients_suppressed,
        $suppress and (
            c.claims between 1 and 9
            or (
                c.age_group <> 'total'
                and r.claims_small_cells = 1
                and c.claims = r.claims_smallest_shown
            )
        ) as claims_suppressed,
        $suppress and (
            c.count between 1 and 9
            or (
                c.age_group <> 'total'
                and r.count_small_cells = 1
                and c.count = r.count_smallest_shown
            )
        ) as count_suppressed
    from cells as c
    inner join row_stats as r
        on r.period = c.period
        and r.area_code = c.area_code
        and r.indicator = c.indicator
        and r.basis = c.basis
),

final as (
    select
        period,
        area_level,
        area_code,
        area_name,
        indicator,
        basis,
        age_group,
        case when patients_suppressed then null else patients end as patients,
        case when claims_suppressed then null else claims end as claims,
        case when count_suppressed then null else count end as count,
        facilities,
        patients_suppressed,
        claims_suppressed,
        count_suppressed,
        patients_suppressed or claims_suppressed or count_suppressed as suppressed,
        $coverage as coverage,
        $suppression as suppression
    from flagged
)

select
    period, area_level, area_code, area_name, indicator, basis, age_group,
    patients, claims, count, facilities,
    patients_suppressed, claims_suppressed, count_suppressed, suppressed,
    coverage, suppression
from final
order by
    period,
    basis desc,
    indicator,
    area_code,
    case age_group
        when 'total' then 0
        when 'under65' then 1
        when '65to74' then 2
        when '75plus' then 3
        else 4
    end
