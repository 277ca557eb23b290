-- projection_by_area: future patients of one claims indicator per area, age group and year, by
-- the standard method (domain.md §7): the base period's usage rate × the projected population.
-- Grain: one row per (area_code, year, age_group) at level $level; age_group under65, 65to74,
-- 75plus and total.
--   rate (group)        base patients (residence basis, fiscal year $base_period, 実患者数)
--                       ÷ the group's 社人研 2023 population of $base_year, the projection year
--                       nearest the base period, so that both populations come from one series
--   projected_patients  rate × the group's projected population of `year`
--   total               the sum of the three groups (computed only when all three are), with
--                       rate = projected_patients ÷ population; base_patients of the total row
--                       is the claims total cell (distinct persons: a person who turned 75 in the
--                       base year counts once there, once in each group)
-- Disclosure control: rate × population gives back the base patients, so a group whose base
-- cell is suppressed in the claims output (patients null) gets no rate and no projection, and
-- the total is withheld with it: over several years, total − the published groups would let
-- the suppressed groups' rates be solved for. 'unknown'-age patients are in no group.
-- status: 'ok'; 'estimated' (a population is estimated, see reason); 'suppressed' (the base cell
-- or, for the total, one of its groups); 'missing' (no population, or no claims cell); reason
-- says why. understated: under65, 65to74 and total count 国保 members only under 75 (KDB).
-- Scenario (追加的需要, projection_scenario_input: area_code, year, additional_patients) is
-- shown beside the total rows: additional_patients as given, projected_patients_with_scenario =
-- projected_patients + additional_patients (the projection alone where the scenario gives none;
-- null throughout when no scenario was given, $with_scenario false).
-- Reads: projection_claims_input (claims output of this run), stg_projection_by_area (for
-- $level), projection_years_input (year), projection_scenario_input.
-- Parameters: $level, $indicator, $base_period (FY label), $base_year (projection year of
-- the base population), $with_scenario (boolean).

with

base_cells as (
    select area_code, area_name, age_group, patients, patients_suppressed, coverage
    from projection_claims_input
    where indicator = $indicator
        and period = $base_period
        and basis = 'residence'
),

areas as (
    select area_code, min(area_name) as area_name, min(coverage) as coverage
    from base_cells
    group by area_code
),

population as (
    select area_code, year, kind, value, status
    from stg_projection_by_area
),

groups as (
    select 'under65' as age_group, 'under65' as kind, 1 as g_order
    union all select '65to74' as age_group, 'age65to74' as kind, 2 as g_order
    union all select '75plus' as age_group, 'age75p' as kind, 3 as g_order
),

group_inputs as (
    select
        a.area_code,
        a.area_name,
        a.coverage,
        g.age_group,
        y.year,
        b.area_code is not null as has_cell,
        coalesce(b.patients_suppressed, false) as base_suppressed,
        b.patients as base_patients,
        bp.value as base_population,
        coalesce(
            bp.status,
            'missing: no population for this area (unknown residence, '
                || 'or a 政令市 city code at ward level)'
        ) as base_population_status,
        fp.value as population,
        coalesce(
            fp.status,
            'missing: no population for this area (unknown residence, '
                || 'or a 政令市 city code at ward level)'
        ) as population_status
    from areas as a
    cross join groups as g
    cross join projection_years_input as y
    left join base_cells as b on b.area_code = a.area_code and b.age_group = g.age_group
    left join population as bp
        on bp.area_code = a.area_code and bp.kind = g.kind and bp.year = $base_year
    left join population as fp
        on fp.area_code = a.area_code and fp.kind = g.kind and fp.year = y.year
),

-- severity orders the reasons: 0 ok, 1 estimated, 2 missing, 3 suppressed
group_rows as (
    select
        area_code,
        area_name,
        coverage,
        age_group,
        year,
        base_patients,
        base_population,
        population,
        case
            when base_suppressed then 3
            when not has_cell or base_patients is null then 2
            when base_population is null or population is null then 2
            when base_population = 0 then 2
            when base_population_status <> 'exact' or population_status <> 'exact' then 1
            else 0
        end as severity,
        case
            when base_suppressed
                then 'suppressed: the base cell (' || age_group || ', ' || $base_period
                    || ') is suppressed in the claims output (NDB rule)'
            when not has_cell or base_patients is null
                then 'missing: no claims cell for ' || age_group || ' in ' || $base_period
            when base_population is null then base_population_status
            when population is null then population_status
            when base_population = 0
                then 'missing: no ' || age_group || ' population in '
                    || cast($base_year as varchar)
            when base_population_status <> 'exact' then base_population_status
            when population_status <> 'exact' then population_status
            else cast(null as varchar)
        end as reason
    from group_inputs
),

outputs as (
    select 'under65' as age_group, 'under65' as part, 1 as g_order
    union all select '65to74' as age_group, '65to74' as part, 2 as g_order
    union all select '75plus' as age_group, '75plus' as part, 3 as g_order
    union all select 'total' as age_group, 'under65' as part, 0 as g_order
    union all select 'total' as age_group, '65to74' as part, 0 as g_order
    union all select 'total' as age_group, '75plus' as part, 0 as g_order
),

-- each output row from its parts: a group from itself, the total from the three groups
rolled as (
    select
        r.area_code,
        min(r.area_name) as area_name,
        min(r.coverage) as coverage,
        o.age_group,
        min(o.g_order) as g_order,
        r.year,
        count(*) as parts,
        max(r.severity) as severity,
        max(cast(r.severity as varchar) || coalesce(r.reason, '')) as reason_key,
        cast(sum(r.base_population) as bigint) as base_population,
        count(r.base_population) as base_population_parts,
        cast(sum(r.population) as bigint) as population,
        count(r.population) as population_parts,
        sum(
            case
                when r.severity < 2
                    then cast(r.base_patients as double) / r.base_population * r.population
            end
        ) as projected_patients,
        max(case when o.age_group <> 'total' then r.base_patients end) as group_base_patients,
        max(
            case
                when o.age_group <> 'total' and r.severity < 2
                    then cast(r.base_patients as double) / r.base_population
            end
        ) as group_rate
    from group_rows as r
    inner join outputs as o on o.part = r.age_group
    group by r.area_code, o.age_group, r.year
),

totals as (
    select area_code, patients, patients_suppressed
    from projection_claims_input
    where indicator = $indicator
        and period = $base_period
        and basis = 'residence'
        and age_group = 'total'
),

final as (
    select
        $level as area_level,
        r.area_code,
        r.area_name,
        $indicator as indicator,
        'residence' as basis,
        $base_period as base_period,
        cast($base_year as integer) as base_population_year,
        r.year,
        r.age_group,
        r.g_order,
        case
            when r.age_group = 'total' then t.patients
            else r.group_base_patients
        end as base_patients,
        case when r.base_population_parts = r.parts then r.base_population end
            as base_population,
        case
            when r.severity >= 2 then cast(null as double)
            when r.age_group = 'total'
                then r.projected_patients / nullif(cast(r.population as double), 0)
            else r.group_rate
        end as rate,
        case when r.population_parts = r.parts then r.population end as population,
        case when r.severity < 2 then r.projected_patients end as projected_patients,
        case when r.age_group = 'total' then s.additional_patients end as additional_patients,
        case
            when $with_scenario and r.age_group = 'total' and r.severity < 2
                then r.projected_patients + coalesce(s.additional_patients, 0.0)
        end as projected_patients_with_scenario,
        case r.severity
            when 0 then 'ok'
            when 1 then 'estimated'
            when 2 then 'missing'
            else 'suppressed'
        end as status,
        case
            when r.severity = 0 then cast(null as varchar)
            when r.age_group = 'total' and r.severity >= 2
                then 'total withheld: ' || substr(r.reason_key, 2)
            else substr(r.reason_key, 2)
        end as reason,
        r.age_group <> '75plus' as understated,
        r.coverage
    from rolled as r
    left join totals as t on t.area_code = r.area_code
    left join projection_scenario_input as s
        on s.area_code = r.area_code and s.year = r.year
)

select
    area_level, area_code, area_name, indicator, basis, base_period, base_population_year,
    year, age_group, base_patients, base_population, rate, population, projected_patients,
    additional_patients, projected_patients_with_scenario, status, reason, understated, coverage
from final
order by area_code, year, g_order
