-- rates_by_area: facilities and claims indicators per population, one row per rate (long form).
-- Grain: one row per (period, area_code, measure, unit, source, age_group, denominator_kind) at
-- level $level. rate = numerator / denominator × per, a double; each row names its numerator,
-- its denominator and both dates (period, denominator_as_of).
--   facilities (rates_facilities_input: the facilities output of this run) per 100,000
--     population and per 10,000 aged 75+; period = the list date; age_group 'total'. A count
--     table that lists only some municipalities of the area (area_coverage 'partial') gives no
--     rate: the numerator is not the area's.
--   claims (rates_claims_input: the claims output of this run, suppression applied), residence
--     basis only, units patients/claims/count, per 1,000 of the population of the same ages:
--       75plus  over age75p
--       65to74  over age65to74 (65+ minus 75+)
--       under65 over under65 (total minus 65+)
--       total   over population, age65p and age75p (the published 'per 1,000 aged 75+' puts
--               patients of all ages over the 75+: it is a ratio, not a rate of the 75+)
--     KDB holds no 被用者保険 members, so under 75 its numerators cover 国保 members only:
--     population-based rows for under65, 65to74 and total are understated. Where the analyst's
--     enrolment table (国保 + 後期 members) covers the area and age group, the rows of that group
--     use it (denominator_kind 'enrolment'), not the population, and are not understated; a
--     'total' cell keeps its population rows (the published ratios) and gains an enrolment row.
--     'unknown' age cells have no denominator and no rate; facility-basis cells are not rates of
--     a population and are left out.
-- A suppressed numerator (null in the claims output) gives a null rate, suppressed = true.
-- rate_status: 'ok', 'suppressed', 'partial numerator: …', 'no denominator: <why>',
-- 'zero denominator'. population_status: the denominator's status ('exact', 'missing: …').
-- houmon_kango_break: 訪問看護 indicators (houmon_kango_*) of a period starting before the
-- 2024-06 service month, when station-based 訪問看護 claims were still on paper (domain.md §4).
-- Reads: rates_claims_input, rates_facilities_input, stg_population_by_area,
-- stg_enrolment_by_area (both for $level), ref_months.
-- Parameters: $level.

with

population as (
    select area_code, kind, value, as_of, source, status
    from stg_population_by_area
),

enrolment_complete as (
    select area_code, age_group, members, as_of
    from stg_enrolment_by_area
    where members is not null
),

period_starts as (
    select fy_label as period, min(month_start) as period_start
    from ref_months
    group by fy_label
    union all
    select month_label as period, min(month_start) as period_start
    from ref_months
    group by month_label
),

units as (
    select 'patients' as unit, 1 as unit_order
    union all select 'claims' as unit, 2 as unit_order
    union all select 'count' as unit, 3 as unit_order
),

-- which denominators each age group of a claims cell is set against; understated: a
-- population-based denominator of ages where KDB misses the 被用者保険 members
claim_denominators as (
    select '75plus' as age_group, 'age75p' as denominator_kind, false as understated, 1 as d_order
    union all select '75plus', 'enrolment', false, 2
    union all select '65to74', 'age65to74', true, 1
    union all select '65to74', 'enrolment', false, 2
    union all select 'under65', 'under65', true, 1
    union all select 'under65', 'enrolment', false, 2
    union all select 'total', 'population', true, 1
    union all select 'total', 'age65p', true, 2
    union all select 'total', 'age75p', true, 3
    union all select 'total', 'enrolment', false, 4
),

facility_denominators as (
    select 'population' as denominator_kind, 100000 as per, 1 as d_order
    union all select 'age75p' as denominator_kind, 10000 as per, 2 as d_order
),

claim_cells as (
    select
        c.period,
        c.area_code,
        c.area_name,
        c.indicator as measure,
        u.unit,
        u.unit_order,
        c.age_group,
        case
            when u.unit = 'patients' then c.patients
            when u.unit = 'claims' then c.claims
            else c.count
        end as numerator,
        case
            when u.unit = 'patients' then c.patients_suppressed
            when u.unit = 'claims' then c.claims_suppressed
            else c.count_suppressed
        end as suppressed,
        c.coverage
    from rates_claims_input as c
    cross join units as u
    where c.basis = 'residence'
        and c.age_group in ('total', 'under65', '65to74', '75plus')
),

claim_candidates as (
    select
        c.period,
        c.area_code,
        c.area_name,
        c.measure,
        c.unit,
        c.unit_order,
        c.age_group,
        c.numerator,
        c.suppressed,
        c.coverage,
        d.denominator_kind,
        d.d_order,
        d.understated,
        e.members is not null as has_enrolment,
        case when d.denominator_kind = 'enrolment' then e.members else p.value end
            as denominator,
        case when d.denominator_kind = 'enrolment' then e.as_of else p.as_of end
            as denominator_as_of,
        case when d.denominator_kind = 'enrolment' then 'enrolment' else p.source end
            as denominator_source,
        case
            when d.denominator_kind = 'enrolment' then 'exact'
            else coalesce(
                p.status,
                'missing: no population for this area (unknown residence, '
                    || 'or a 政令市 city code at ward level)'
            )
        end as population_status
    from claim_cells as c
    inner join claim_denominators as d on d.age_group = c.age_group
    left join population as p on p.area_code = c.area_code and p.kind = d.denominator_kind
    left join enrolment_complete as e
        on e.area_code = c.area_code and e.age_group = c.age_group
),

claim_rates as (
    select
        period,
        area_code,
        area_name,
        measure,
        unit,
        unit_order,
        'residence' as basis,
        'kdb' as source,
        age_group,
        numerator,
        suppressed,
        denominator_kind,
        d_order,
        denominator,
        denominator_as_of,
        denominator_source,
        1000 as per,
        understated,
        population_status,
        cast(null as varchar) as partial_reason,
        coverage
    from claim_candidates
    where (denominator_kind = 'enrolment' and has_enrolment)
        or (
            denominator_kind <> 'enrolment'
            and not (has_enrolment and age_group in ('under65', '65to74'))
        )
),

facility_rates as (
    select
        cast(f.as_of as varchar) as period,
        f.area_code,
        f.area_name,
        f.category as measure,
        'facilities' as unit,
        0 as unit_order,
        'facility' as basis,
        f.source,
        'total' as age_group,
        cast(f.facilities as bigint) as numerator,
        false as suppressed,
        d.denominator_kind,
        d.d_order,
        p.value as denominator,
        p.as_of as denominator_as_of,
        p.source as denominator_source,
        d.per,
        false as understated,
        coalesce(
            p.status,
            'missing: no population for this area (unknown location, '
                || 'or a 政令市 city code at ward level)'
        ) as population_status,
        case
            when f.area_coverage = 'partial'
                then 'partial numerator: the count table lists '
                    || cast(f.members_covered as varchar) || ' of the area''s '
                    || cast(f.members_total as varchar) || ' municipalities'
        end as partial_reason,
        cast(null as varchar) as coverage
    from rates_facilities_input as f
    cross join facility_denominators as d
    left join population as p on p.area_code = f.area_code and p.kind = d.denominator_kind
),

all_rates as (
    select
        period, area_code, area_name, measure, unit, unit_order, basis, source, age_group,
        numerator, suppressed, denominator_kind, d_order, denominator, denominator_as_of,
        denominator_source, per, understated, population_status, partial_reason, coverage
    from facility_rates
    union all
    select
        period, area_code, area_name, measure, unit, unit_order, basis, source, age_group,
        numerator, suppressed, denominator_kind, d_order, denominator, denominator_as_of,
        denominator_source, per, understated, population_status, partial_reason, coverage
    from claim_rates
),

final as (
    select
        r.period,
        $level as area_level,
        r.area_code,
        r.area_name,
        r.measure,
        r.unit,
        r.unit_order,
        r.basis,
        r.source,
        r.age_group,
        case when r.suppressed then cast(null as bigint) else r.numerator end as numerator,
        r.denominator_kind,
        r.d_order,
        r.denominator,
        r.denominator_as_of,
        r.denominator_source,
        r.per,
        case
            when r.suppressed or r.partial_reason is not null then cast(null as double)
            else cast(r.numerator as double) * r.per / nullif(cast(r.denominator as double), 0)
        end as rate,
        case
            when r.suppressed then 'suppressed'
            when r.partial_reason is not null then r.partial_reason
            when r.denominator is null then 'no denominator: ' || r.population_status
            when r.denominator = 0 then 'zero denominator'
            else 'ok'
        end as rate_status,
        coalesce(r.suppressed, false) as suppressed,
        r.understated,
        r.measure like 'houmon_kango%' and s.period_start < date '2024-06-01'
            as houmon_kango_break,
        r.population_status,
        r.coverage
    from all_rates as r
    left join period_starts as s on s.period = r.period
)

select
    period, area_level, area_code, area_name, measure, unit, basis, source, age_group,
    numerator, denominator_kind, denominator, denominator_as_of, denominator_source, per, rate,
    rate_status, suppressed, understated, coalesce(houmon_kango_break, false) as houmon_kango_break,
    population_status, coverage
from final
order by
    unit_order,
    measure,
    period,
    source,
    area_code,
    case age_group
        when 'total' then 0
        when 'under65' then 1
        when '65to74' then 2
        else 3
    end,
    d_order
