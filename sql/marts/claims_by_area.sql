-- claims_by_area: home-care activity from KDB claim lines per period, area, indicator, basis and
-- age group, in the three official counting units (domain.md §4), before disclosure control.
-- Grain: one row per (period, area_code, indicator, basis, age_group) at the level $level.
--   period     fy_label 'FY2023' ($period = 'fiscal-year') or month_label '2023-04' ('month'),
--              both from ref_months, never from date arithmetic
--   indicator  ref_claim_codes.indicator of the line's 診療行為コード; lines of other codes are
--              not counted
--   basis      'residence': the patient's 市町村コード (residence_code5); 'facility': where the
--              billing facility is (stg_claim_facility_locations, i.e. the bureau lists)
--   age_group  'total', 'under65', '65to74', '75plus' ('unknown' only where a line has no age)
-- Units, each exact and computed from the lines for this very cell, never by adding cells up:
--   patients   実患者数: distinct person_key
--   claims     レセプト件数: distinct person × facility × service month
--   count      算定回数: sum(times)
--   facilities distinct facility_code10 billing the indicator (8th plan 訪問診療を実施している
--              診療所・病院数 on the facility basis; on the residence basis: distinct facilities
--              serving the area's residents)
-- Patients are not additive across areas, months or age groups: 'total' is computed on its own,
-- and each level is a separate run ($level) straight from the lines, not a roll-up of a finer one.
-- A person whose age crosses a band boundary within the period counts in both bands and once in
-- total; a person seen by facilities in two areas counts once in each area.
--
-- How, without exploding the data (10M lines): four cells per line (2 bases × age group or
-- total) are never materialised. Instead:
--   claims/count  each line is reduced to its claim (claim_grain). A claim has one residence and
--                 one age in practice (one レセプト, one patient record); such claims are counted
--                 with count(*) and sum(times) under all four grouping sets at once. The rare claim
--                 whose lines disagree on residence area or age group is counted exactly from its
--                 lines with a distinct claim key (multi_claim_*). The two sets of claims are
--                 disjoint, so their counts add up.
--   patients      distinct (person, residence area, facility area, age group) first, then each
--                 cell's distinct persons by successive de-duplication (age group → total).
--   facilities    distinct (facility, residence area, facility area, age group) first (small),
--                 then distinct facilities per cell.
--
-- Unknown places are explicit areas, never dropped (pref = first two digits of the code):
--   facility in no bureau list → '所在地不明（届出名簿に該当なし）', area_code pref || '999'
--     (municipality, ward) or pref || '99' (secondary-area); at prefecture level the prefecture
--     is known from facility_code10 and the facility counts there;
--   residence code not in the municipality list → '住所地不明（市町村コード該当なし）', same codes.
--   Where such a code is also an area of stg_area_units (secondary-area pref || '99', the
--   prefecture's '（圏域不明）' area, e.g. 川崎市 by its city code), the area keeps that name.
-- Zeros: the areas of the prefectures the claims cover (residence prefectures), for every
-- observed period and every indicator of ref_claim_codes, get rows of 0 on both bases, so that
-- "none" is visible. pref_code of an area = its first two digits at every level.
-- Reads: claim_lines, ref_claim_codes, ref_months, ref_municipalities, stg_area_units (level
-- $level of the plan materialised for this run), stg_claim_facility_locations.

with

units as (
    select unit_code5, area_code, area_name, pref_code, in_grid
    from stg_area_units
    where level = $level
),

codes as (
    select code, min(indicator) as indicator
    from ref_claim_codes
    group by code
),

indicators as (
    select distinct indicator from ref_claim_codes
),

months as (
    select
        month_start,
        case when $period = 'month' then month_label else fy_label end as period
    from ref_months
),

prefectures as (
    select pref_code, name as pref_name
    from ref_municipalities
    where kind = '都道府県'
),

locations as (
    select facility_code10, code5
    from stg_claim_facility_locations
),

lines as (
    select
        m.period,
        c.indicator,
        l.person_key,
        l.facility_code10,
        l.service_month,
        l.times,
        case
            when l.age is null then 'unknown'
            when l.age < 65 then 'under65'
            when l.age < 75 then '65to74'
            else '75plus'
        end as age_group,
        coalesce(
            r.area_code,
            case
                when $level = 'prefecture' then substr(l.residence_code5, 1, 2)
                when $level = 'secondary-area' then substr(l.residence_code5, 1, 2) || '99'
                else substr(l.residence_code5, 1, 2) || '999'
            end
        ) as residence_area,
        coalesce(
            f.area_code,
            case
                when $level = 'prefecture' then substr(l.facility_code10, 1, 2)
                when $level = 'secondary-area' then substr(l.facility_code10, 1, 2) || '99'
                else substr(l.facility_code10, 1, 2) || '999'
            end
        ) as facility_area
    from claim_lines as l
    inner join codes as c on c.code = l.act_code
    inner join months as m on m.month_start = l.service_month
    left join units as r on r.unit_code5 = l.residence_code5
    left join locations as loc on loc.facility_code10 = l.facility_code10
    left join units as f on f.unit_code5 = loc.code5
),

-- claims and count ---------------------------------------------------------------------------
claim_grain as (
    select
        period,
        indicator,
        person_key,
        facility_code10,
        service_month,
        facility_area,
        min(residence_area) as residence_area,
        max(residence_area) as residence_area_last,
        min(age_group) as age_group,
        max(age_group) as age_group_last,
        sum(times) as times
    from lines
    group by period, indicator, person_key, facility_code10, service_month, facility_area
),

single_claims as (
    select
        period,
        indicator,
        residence_area,
        facility_area,
        age_group,
        grouping(residence_area) as by_facility,
        grouping(age_group) as is_total,
        count(*) as claims,
        sum(times) as times
    from claim_grain
    where residence_area = residence_area_last and age_group = age_group_last
    group by grouping sets (
        (period, indicator, residence_area, age_group),
        (period, indicator, residence_area),
        (period, indicator, facility_area, age_group),
        (period, indicator, facility_area)
    )
),

multi_claim_keys as (
    select period, indicator, person_key, facility_code10, service_month
    from claim_grain
    where residence_area <> residence_area_last or age_group <> age_group_last
),

multi_claim_lines as (
    select
        l.period,
        l.indicator,
        l.residence_area,
        l.facility_area,
        l.age_group,
        l.times,
        cast(l.service_month as varchar) || '|' || l.facility_code10 || '|' || l.person_key
            as claim_key
    from lines as l
    inner join multi_claim_keys as k
        on k.period = l.period
        and k.indicator = l.indicator
        and k.person_key = l.person_key
        and k.facility_code10 = l.facility_code10
        and k.service_month = l.service_month
),

multi_claims as (
    select
        period,
        indicator,
        residence_area,
        facility_area,
        age_group,
        grouping(residence_area) as by_facility,
        grouping(age_group) as is_total,
        count(distinct claim_key) as claims,
        sum(times) as times
    from multi_claim_lines
    group by grouping sets (
        (period, indicator, residence_area, age_group),
        (period, indicator, residence_area),
        (period, indicator, facility_area, age_group),
        (period, indicator, facility_area)
    )
),

claims_union as (
    select period, indicator, residence_area, facility_area, age_group, by_facility, is_total,
        claims, times
    from single_claims
    union all
    select period, indicator, residence_area, facility_area, age_group, by_facility, is_total,
        claims, times
    from multi_claims
),

claims_counted as (
    select
        period,
        indicator,
        case when by_facility = 1 then 'facility' else 'residence' end as basis,
        case when by_facility = 1 then facility_area else residence_area end as area_code,
        case when is_total = 1 then 'total' else age_group end as age_group,
        sum(claims) as claims,
        sum(times) as times
    from claims_union
    group by
        period,
        indicator,
        case when by_facility = 1 then 'facility' else 'residence' end,
        case when by_facility = 1 then facility_area else residence_area end,
        case when is_total = 1 then 'total' else age_group end
),

-- patients ----------------------------------------------------------------------------------
person_places as (
    select period, indicator, person_key, residence_area, facility_area, age_group
    from lines
    group by period, indicator, person_key, residence_area, facility_area, age_group
),

persons_residence_age as (
    select period, indicator, residence_area, age_group, person_key
    from person_places
    group by period, indicator, residence_area, age_group, person_key
),

persons_residence as (
    select period, indicator, residence_area, person_key
    from persons_residence_age
    group by period, indicator, residence_area, person_key
),

persons_facility_age as (
    select period, indicator, facility_area, age_group, person_key
    from person_places
    group by period, indicator, facility_area, age_group, person_key
),

persons_facility as (
    select period, indicator, facility_area, person_key
    from persons_facility_age
    group by period, indicator, facility_area, person_key
),

patients_counted as (
    select period, indicator, 'residence' as basis, residence_area as area_code, age_group,
        count(*) as patients
    from persons_residence_age
    group by period, indicator, residence_area, age_group
    union all
    select period, indicator, 'residence' as basis, residence_area as area_code,
        'total' as age_group, count(*) as patients
    from persons_residence
    group by period, indicator, residence_area
    union all
    select period, indicator, 'facility' as basis, facility_area as area_code, age_group,
        count(*) as patients
    from persons_facility_age
    group by period, indicator, facility_area, age_group
    union all
    select period, indicator, 'facility' as basis, facility_area as area_code,
        'total' as age_group, count(*) as patients
    from persons_facility
    group by period, indicator, facility_area
),

-- facilities --------------------------------------------------------------------------------
facility_places as (
    select period, indicator, facility_code10, residence_area, facility_area, age_group
    from lines
    group by period, indicator, facility_code10, residence_area, facility_area, age_group
),

facilities_grouped as (
    select
        period,
        indicator,
        residence_area,
        facility_area,
        age_group,
        grouping(residence_area) as by_facility,
        grouping(age_group) as is_total,
        count(distinct facility_code10) as facilities
    from facility_places
    group by grouping sets (
        (period, indicator, residence_area, age_group),
        (period, indicator, residence_area),
        (period, indicator, facility_area, age_group),
        (period, indicator, facility_area)
    )
),

facilities_counted as (
    select
        period,
        indicator,
        case when by_facility = 1 then 'facility' else 'residence' end as basis,
        case when by_facility = 1 then facility_area else residence_area end as area_code,
        case when is_total = 1 then 'total' else age_group end as age_group,
        facilities
    from facilities_grouped
),

-- the zero grid and area names --------------------------------------------------------------
bases as (
    select 'residence' as basis
    union all
    select 'facility' as basis
),

age_groups as (
    select 'total' as age_group
    union all
    select 'under65' as age_group
    union all
    select '65to74' as age_group
    union all
    select '75plus' as age_group
),

periods as (
    select distinct period from patients_counted
),

covered_prefectures as (
    select distinct substr(area_code, 1, 2) as pref_code
    from patients_counted
    where basis = 'residence'
),

grid_areas as (
    select b.basis, u.area_code
    from units as u
    inner join covered_prefectures as p on p.pref_code = u.pref_code
    cross join bases as b
    where u.in_grid
    union
    select basis, area_code from patients_counted
),

grid as (
    select p.period, a.basis, a.area_code, i.indicator, g.age_group
    from periods as p
    cross join grid_areas as a
    cross join indicators as i
    cross join age_groups as g
    union
    -- 'unknown' age rows only where some line had no age
    select period, basis, area_code, indicator, age_group
    from patients_counted
),

unit_names as (
    select area_code, min(area_name) as area_name
    from units
    group by area_code
),

area_names as (
    select
        a.basis,
        a.area_code,
        coalesce(
            n.area_name,
            case
                when $level = 'prefecture' then p.pref_name
                when a.basis = 'facility' then '所在地不明（届出名簿に該当なし）'
                else '住所地不明（市町村コード該当なし）'
            end
        ) as area_name
    from (select distinct basis, area_code from grid_areas) as a
    left join unit_names as n on n.area_code = a.area_code
    left join prefectures as p on p.pref_code = substr(a.area_code, 1, 2)
),

final as (
    select
        g.period,
        $level as area_level,
        g.area_code,
        n.area_name,
        g.indicator,
        g.basis,
        g.age_group,
        cast(coalesce(p.patients, 0) as bigint) as patients,
        cast(coalesce(c.claims, 0) as bigint) as claims,
        cast(coalesce(c.times, 0) as bigint) as count,
        cast(coalesce(f.facilities, 0) as bigint) as facilities
    from grid as g
    inner join area_names as n on n.basis = g.basis and n.area_code = g.area_code
    left join patients_counted as p
        on p.period = g.period
        and p.basis = g.basis
        and p.area_code = g.area_code
        and p.indicator = g.indicator
        and p.age_group = g.age_group
    left join claims_counted as c
        on c.period = g.period
        and c.basis = g.basis
        and c.area_code = g.area_code
        and c.indicator = g.indicator
        and c.age_group = g.age_group
    left join facilities_counted as f
        on f.period = g.period
        and f.basis = g.basis
        and f.area_code = g.area_code
        and f.indicator = g.indicator
        and f.age_group = g.age_group
)

select
    period, area_level, area_code, area_name, indicator, basis, age_group,
    patients, claims, count, facilities
from final
