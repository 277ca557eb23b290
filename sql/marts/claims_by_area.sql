-- claims_by_area: the claims mart as published for one level and plan: home-care activity from
-- KDB claim lines per period, area, indicator, basis and age group, in the three official
-- counting units (domain.md §4) plus billing facilities, with the suppression pattern applied.
-- Grain: one row per (period, area_code, indicator, basis, age_group) at level $level_id
-- (1 ward, 2 municipality, 3/4 secondary-area of the 8th/7th plan, 5 prefecture); area_level
-- is written as $level.
--   patients   実患者数: distinct persons in the cell (never a sum of cells)
--   claims     レセプト件数: distinct person × facility × service month
--   count      算定回数: sum(times)
--   facilities distinct facility_code10 billing the indicator (not suppressed: institutions)
-- Every value comes from int_claim_cells, computed for all levels at once; the suppression
-- pattern (claims_hidden: cells hidden by the primary rule and the complements) is computed on
-- the whole hierarchy, so it is the same whichever level is written. A hidden value is null
-- with a true *_suppressed flag, never 0; with $suppress false claims_hidden is empty.
-- Zeros: the areas of the prefectures the claims cover (residence prefectures), for every
-- observed period and every indicator, get rows of 0 on both bases; 'unknown' age rows only
-- where some line had no age. Unknown areas are named per basis (所在地不明 / 住所地不明).
-- $coverage and $suppression are written on every row (KDB caveat; 'ndb' or 'off').
-- Parameters: $level, $level_id, $coverage, $suppression.
-- Reads: int_claim_cells, int_claim_areas, int_claim_indicators, int_claim_periods,
-- claims_hidden.

with

cells as (
    select period_id, area_id, indicator_id, basis, age_group_id, unit, value
    from int_claim_cells
    where level_id = $level_id
),

areas as (
    select area_id, area_code, area_name, in_grid, pref_code
    from int_claim_areas
    where level_id = $level_id
),

hidden as (
    select period_id, area_id, indicator_id, basis, age_group_id, unit
    from claims_hidden
    where level_id = $level_id
),

indicators as (
    select indicator_id, indicator
    from int_claim_indicators
),

period_labels as (
    select distinct period_id, label
    from int_claim_periods
),

bases as (
    select 'residence' as basis
    union all
    select 'facility' as basis
),

age_groups as (
    select 0 as age_group_id, 'total' as age_group
    union all
    select 1 as age_group_id, 'under65' as age_group
    union all
    select 2 as age_group_id, '65to74' as age_group
    union all
    select 3 as age_group_id, '75plus' as age_group
    union all
    select 9 as age_group_id, 'unknown' as age_group
),

periods as (
    select distinct period_id
    from cells
),

covered_prefectures as (
    select distinct a.pref_code
    from cells as c
    inner join areas as a on a.area_id = c.area_id
    where c.basis = 'residence'
),

grid_areas as (
    select b.basis, a.area_id
    from areas as a
    inner join covered_prefectures as p on p.pref_code = a.pref_code
    cross join bases as b
    where a.in_grid
    union
    select basis, area_id
    from cells
),

grid as (
    select p.period_id, a.basis, a.area_id, i.indicator_id, g.age_group_id
    from periods as p
    cross join grid_areas as a
    cross join indicators as i
    cross join age_groups as g
    where g.age_group_id <> 9
    union
    select period_id, basis, area_id, indicator_id, age_group_id
    from cells
),

values_wide as (
    select
        period_id, area_id, indicator_id, basis, age_group_id,
        max(case when unit = 'patients' then value end) as patients,
        max(case when unit = 'claims' then value end) as claims,
        max(case when unit = 'count' then value end) as count,
        max(case when unit = 'facilities' then value end) as facilities
    from cells
    group by period_id, area_id, indicator_id, basis, age_group_id
),

hidden_wide as (
    select
        period_id, area_id, indicator_id, basis, age_group_id,
        max(case when unit = 'patients' then 1 else 0 end) = 1 as patients_hidden,
        max(case when unit = 'claims' then 1 else 0 end) = 1 as claims_hidden,
        max(case when unit = 'count' then 1 else 0 end) = 1 as count_hidden
    from hidden
    group by period_id, area_id, indicator_id, basis, age_group_id
),

labelled as (
    select
        pl.label as period,
        a.area_code,
        coalesce(
            a.area_name,
            case
                when $level = 'prefecture' then cast(null as varchar)
                when g.basis = 'facility' then '所在地不明（届出名簿に該当なし）'
                else '住所地不明（市町村コード該当なし）'
            end,
            '不明'
        ) as area_name,
        i.indicator,
        g.basis,
        ag.age_group,
        ag.age_group_id,
        cast(coalesce(v.patients, 0) as bigint) as patients,
        cast(coalesce(v.claims, 0) as bigint) as claims,
        cast(coalesce(v.count, 0) as bigint) as count,
        cast(coalesce(v.facilities, 0) as bigint) as facilities,
        coalesce(h.patients_hidden, false) as patients_suppressed,
        coalesce(h.claims_hidden, false) as claims_suppressed,
        coalesce(h.count_hidden, false) as count_suppressed
    from grid as g
    inner join areas as a on a.area_id = g.area_id
    inner join indicators as i on i.indicator_id = g.indicator_id
    inner join age_groups as ag on ag.age_group_id = g.age_group_id
    inner join period_labels as pl on pl.period_id = g.period_id
    left join values_wide as v
        on v.period_id = g.period_id
        and v.area_id = g.area_id
        and v.indicator_id = g.indicator_id
        and v.basis = g.basis
        and v.age_group_id = g.age_group_id
    left join hidden_wide as h
        on h.period_id = g.period_id
        and h.area_id = g.area_id
        and h.indicator_id = g.indicator_id
        and h.basis = g.basis
        and h.age_group_id = g.age_group_id
),

final as (
    select
        period,
        $level as area_level,
        area_code,
        area_name,
        indicator,
        basis,
        age_group,
        age_group_id,
        case when patients_suppressed then cast(null as bigint) else patients end as patients,
        case when claims_suppressed then cast(null as bigint) else claims end as claims,
        case when count_suppressed then cast(null as bigint) else count end as count,
        facilities,
        patients_suppressed,
        claims_suppressed,
        count_suppressed,
        patients_suppressed or claims_suppressed or count_suppressed as suppressed,
        $coverage as coverage,
        $suppression as suppression
    from labelled
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
    case when age_group_id = 0 then 0 when age_group_id = 9 then 4 else age_group_id end
