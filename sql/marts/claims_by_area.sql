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
--   patients   実患者数: distinct person_id (one per person_key, see persons)
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
-- How, without exploding the data (10M lines): the four cells of a line (2 bases × its age
-- group or total) are never materialised, and no count(distinct) runs over the lines.
--   ids           persons come with compact integer ids (claim_lines.person_id, assigned at
--                 ingest); facilities, areas and indicators get them first, so the
--                 de-duplications hash a few integers instead of strings (half the memory: no
--                 spilling at the warehouse's 1GB limit); labels are joined back last.
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

prefectures as (
    select pref_code, name as pref_name
    from ref_municipalities
    where kind = '都道府県'
),

-- the unknown area of each prefecture at this level; '00' stands for a code whose first two
-- digits are no prefecture (the ingest validates codes, so this is a safety net)
unknown_areas as (
    select
        pref_code,
        case
            when $level = 'prefecture' then pref_code
            when $level = 'secondary-area' then pref_code || '99'
            else pref_code || '999'
        end as area_code
    from (
        select pref_code from prefectures
        union all
        select '00' as pref_code
    ) as p
),

-- compact integer ids: the de-duplications below hash a few integers per row instead of
-- 64-character HMACs and long labels, which halves their memory (no spilling at the 1GB
-- warehouse limit with 10M lines) and their time. Ids are exact; every label is joined back
-- at the end.
areas as (
    select area_code, row_number() over (order by area_code) as area_id
    from (
        select area_code from units
        union
        select area_code from unknown_areas
    ) as a
),

unit_areas as (
    select u.unit_code5, a.area_id
    from units as u
    inner join areas as a on a.area_code = u.area_code
),

unknown_area_ids as (
    select u.pref_code, a.area_id
    from unknown_areas as u
    inner join areas as a on a.area_code = u.area_code
),

indicators as (
    select indicator, row_number() over (order by indicator) as indicator_id
    from (select distinct indicator from ref_claim_codes) as i
),

codes as (
    select c.code, min(i.indicator_id) as indicator_id
    from ref_claim_codes as c
    inner join indicators as i on i.indicator = c.indicator
    group by c.code
),

-- periods get compact ids too ('FY2023' would be hashed on every line); period below is the id
period_labels as (
    select label, row_number() over (order by label) as period_id
    from (
        select distinct case when $period = 'month' then month_label else fy_label end as label
        from ref_months
    ) as p
),

months as (
    select
        m.month_start,
        l.period_id as period
    from ref_months as m
    inner join period_labels as l
        on l.label = case when $period = 'month' then m.month_label else m.fy_label end
),

-- the area of each residence code (validated by the ingest; else its prefecture's unknown area)
residences as (
    select
        r.residence_code5,
        coalesce(ua.area_id, un.area_id, u0.area_id) as residence_area_id
    from (select distinct residence_code5 from claim_lines) as r
    left join unit_areas as ua on ua.unit_code5 = r.residence_code5
    left join unknown_area_ids as un on un.pref_code = substr(r.residence_code5, 1, 2)
    left join unknown_area_ids as u0 on u0.pref_code = '00'
),

facilities as (
    select
        f.facility_code10,
        row_number() over (order by f.facility_code10) as facility_id,
        coalesce(ua.area_id, un.area_id, u0.area_id) as facility_area_id
    from (select distinct facility_code10 from claim_lines) as f
    left join stg_claim_facility_locations as loc on loc.facility_code10 = f.facility_code10
    left join unit_areas as ua on ua.unit_code5 = loc.code5
    left join unknown_area_ids as un on un.pref_code = substr(f.facility_code10, 1, 2)
    left join unknown_area_ids as u0 on u0.pref_code = '00'
),

lines as (
    select
        m.period,
        c.indicator_id,
        l.person_id,
        f.facility_id,
        f.facility_area_id,
        l.service_month,
        l.times,
        case
            when l.age is null then 9
            when l.age < 65 then 1
            when l.age < 75 then 2
            else 3
        end as age_group_id,
        r.residence_area_id
    from claim_lines as l
    inner join codes as c on c.code = l.act_code
    inner join months as m on m.month_start = l.service_month
    inner join facilities as f on f.facility_code10 = l.facility_code10
    inner join residences as r on r.residence_code5 = l.residence_code5
),

-- claims and count ---------------------------------------------------------------------------
claim_grain as (
    select
        period,
        indicator_id,
        person_id,
        facility_id,
        service_month,
        facility_area_id,
        min(residence_area_id) as residence_area_id,
        max(residence_area_id) as residence_area_last,
        min(age_group_id) as age_group_id,
        max(age_group_id) as age_group_last,
        sum(times) as times
    from lines
    group by period, indicator_id, person_id, facility_id, service_month, facility_area_id
),

single_claims as (
    select
        period,
        indicator_id,
        residence_area_id,
        facility_area_id,
        age_group_id,
        grouping(residence_area_id) as by_facility,
        grouping(age_group_id) as is_total,
        count(*) as claims,
        sum(times) as times
    from claim_grain
    where residence_area_id = residence_area_last and age_group_id = age_group_last
    group by grouping sets (
        (period, indicator_id, residence_area_id, age_group_id),
        (period, indicator_id, residence_area_id),
        (period, indicator_id, facility_area_id, age_group_id),
        (period, indicator_id, facility_area_id)
    )
),

multi_claim_keys as (
    select period, indicator_id, person_id, facility_id, service_month
    from claim_grain
    where residence_area_id <> residence_area_last or age_group_id <> age_group_last
),

multi_claim_lines as (
    select
        l.period,
        l.indicator_id,
        l.residence_area_id,
        l.facility_area_id,
        l.age_group_id,
        l.times,
        cast(l.person_id as varchar) || '|' || cast(l.facility_id as varchar) || '|'
            || cast(l.service_month as varchar) as claim_key
    from lines as l
    inner join multi_claim_keys as k
        on k.period = l.period
        and k.indicator_id = l.indicator_id
        and k.person_id = l.person_id
        and k.facility_id = l.facility_id
        and k.service_month = l.service_month
),

multi_claims as (
    select
        period,
        indicator_id,
        residence_area_id,
        facility_area_id,
        age_group_id,
        grouping(residence_area_id) as by_facility,
        grouping(age_group_id) as is_total,
        count(distinct claim_key) as claims,
        sum(times) as times
    from multi_claim_lines
    group by grouping sets (
        (period, indicator_id, residence_area_id, age_group_id),
        (period, indicator_id, residence_area_id),
        (period, indicator_id, facility_area_id, age_group_id),
        (period, indicator_id, facility_area_id)
    )
),

claims_union as (
    select period, indicator_id, residence_area_id, facility_area_id, age_group_id,
        by_facility, is_total, claims, times
    from single_claims
    union all
    select period, indicator_id, residence_area_id, facility_area_id, age_group_id,
        by_facility, is_total, claims, times
    from multi_claims
),

claims_counted as (
    select
        period,
        indicator_id,
        case when by_facility = 1 then 'facility' else 'residence' end as basis,
        case when by_facility = 1 then facility_area_id else residence_area_id end as area_id,
        case when is_total = 1 then 0 else age_group_id end as age_group_id,
        sum(claims) as claims,
        sum(times) as times
    from claims_union
    group by
        period,
        indicator_id,
        case when by_facility = 1 then 'facility' else 'residence' end,
        case when by_facility = 1 then facility_area_id else residence_area_id end,
        case when is_total = 1 then 0 else age_group_id end
),

-- patients ----------------------------------------------------------------------------------
person_places as (
    select period, indicator_id, person_id, residence_area_id, facility_area_id, age_group_id
    from lines
    group by period, indicator_id, person_id, residence_area_id, facility_area_id, age_group_id
),

persons_residence_age as (
    select period, indicator_id, residence_area_id, age_group_id, person_id
    from person_places
    group by period, indicator_id, residence_area_id, age_group_id, person_id
),

persons_residence as (
    select period, indicator_id, residence_area_id, person_id
    from persons_residence_age
    group by period, indicator_id, residence_area_id, person_id
),

persons_facility_age as (
    select period, indicator_id, facility_area_id, age_group_id, person_id
    from person_places
    group by period, indicator_id, facility_area_id, age_group_id, person_id
),

persons_facility as (
    select period, indicator_id, facility_area_id, person_id
    from persons_facility_age
    group by period, indicator_id, facility_area_id, person_id
),

patients_counted as (
    select period, indicator_id, 'residence' as basis, residence_area_id as area_id,
        age_group_id, count(*) as patients
    from persons_residence_age
    group by period, indicator_id, residence_area_id, age_group_id
    union all
    select period, indicator_id, 'residence' as basis, residence_area_id as area_id,
        0 as age_group_id, count(*) as patients
    from persons_residence
    group by period, indicator_id, residence_area_id
    union all
    select period, indicator_id, 'facility' as basis, facility_area_id as area_id,
        age_group_id, count(*) as patients
    from persons_facility_age
    group by period, indicator_id, facility_area_id, age_group_id
    union all
    select period, indicator_id, 'facility' as basis, facility_area_id as area_id,
        0 as age_group_id, count(*) as patients
    from persons_facility
    group by period, indicator_id, facility_area_id
),

-- facilities --------------------------------------------------------------------------------
facility_places as (
    select period, indicator_id, facility_id, residence_area_id, facility_area_id, age_group_id
    from lines
    group by period, indicator_id, facility_id, residence_area_id, facility_area_id, age_group_id
),

facilities_grouped as (
    select
        period,
        indicator_id,
        residence_area_id,
        facility_area_id,
        age_group_id,
        grouping(residence_area_id) as by_facility,
        grouping(age_group_id) as is_total,
        count(distinct facility_id) as facilities
    from facility_places
    group by grouping sets (
        (period, indicator_id, residence_area_id, age_group_id),
        (period, indicator_id, residence_area_id),
        (period, indicator_id, facility_area_id, age_group_id),
        (period, indicator_id, facility_area_id)
    )
),

facilities_counted as (
    select
        period,
        indicator_id,
        case when by_facility = 1 then 'facility' else 'residence' end as basis,
        case when by_facility = 1 then facility_area_id else residence_area_id end as area_id,
        case when is_total = 1 then 0 else age_group_id end as age_group_id,
        facilities
    from facilities_grouped
),

-- the zero grid and labels ------------------------------------------------------------------
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
    select distinct period from patients_counted
),

covered_prefectures as (
    select distinct substr(a.area_code, 1, 2) as pref_code
    from patients_counted as p
    inner join areas as a on a.area_id = p.area_id
    where p.basis = 'residence'
),

grid_areas as (
    select b.basis, a.area_id
    from units as u
    inner join covered_prefectures as p on p.pref_code = u.pref_code
    inner join areas as a on a.area_code = u.area_code
    cross join bases as b
    where u.in_grid
    union
    select basis, area_id from patients_counted
),

grid as (
    select p.period, a.basis, a.area_id, i.indicator_id, g.age_group_id
    from periods as p
    cross join grid_areas as a
    cross join indicators as i
    cross join age_groups as g
    where g.age_group_id <> 9
    union
    -- 'unknown' age rows only where some line had no age
    select period, basis, area_id, indicator_id, age_group_id
    from patients_counted
),

unit_names as (
    select area_code, min(area_name) as area_name
    from units
    group by area_code
),

area_labels as (
    select
        b.basis,
        a.area_id,
        a.area_code,
        coalesce(
            n.area_name,
            case
                when $level = 'prefecture' then p.pref_name
                when b.basis = 'facility' then '所在地不明（届出名簿に該当なし）'
                else '住所地不明（市町村コード該当なし）'
            end,
            '不明'
        ) as area_name
    from areas as a
    cross join bases as b
    left join unit_names as n on n.area_code = a.area_code
    left join prefectures as p on p.pref_code = substr(a.area_code, 1, 2)
),

final as (
    select
        pl.label as period,
        $level as area_level,
        n.area_code,
        n.area_name,
        i.indicator,
        g.basis,
        ag.age_group,
        cast(coalesce(p.patients, 0) as bigint) as patients,
        cast(coalesce(c.claims, 0) as bigint) as claims,
        cast(coalesce(c.times, 0) as bigint) as count,
        cast(coalesce(f.facilities, 0) as bigint) as facilities
    from grid as g
    inner join area_labels as n on n.basis = g.basis and n.area_id = g.area_id
    inner join indicators as i on i.indicator_id = g.indicator_id
    inner join age_groups as ag on ag.age_group_id = g.age_group_id
    inner join period_labels as pl on pl.period_id = g.period
    left join patients_counted as p
        on p.period = g.period
        and p.basis = g.basis
        and p.area_id = g.area_id
        and p.indicator_id = g.indicator_id
        and p.age_group_id = g.age_group_id
    left join claims_counted as c
        on c.period = g.period
        and c.basis = g.basis
        and c.area_id = g.area_id
        and c.indicator_id = g.indicator_id
        and c.age_group_id = g.age_group_id
    left join facilities_counted as f
        on f.period = g.period
        and f.basis = g.basis
        and f.area_id = g.area_id
        and f.indicator_id = g.indicator_id
        and f.age_group_id = g.age_group_id
)

select
    period, area_level, area_code, area_name, indicator, basis, age_group,
    patients, claims, count, facilities
from final
