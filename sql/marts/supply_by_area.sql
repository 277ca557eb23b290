-- supply_by_area: supply against demand per area — registered facilities (bureau lists), the
-- facilities that billed 訪問診療 / 往診 / 看取り (claims, facility basis), patients now and
-- projected (residence basis), projected patients per billing facility, the capacity the
-- prefecture's survey states and the municipalities no 連携拠点 serves.
-- Grain: one row per (area_code, year) at level $level: every area of the prefectures the inputs
-- cover ($pref alone when given), one row per projection year (year null when no projection).
--   registered_*  facilities_by_area of the run, one source per area: the bureau list where the
--                 area's prefecture has one, else the count table (facilities_source, with its
--                 area_coverage). 在支診 / 在支病 = the sum of their three tiers (one tier per
--                 facility, so the sum is distinct facilities); kyoka = 機能強化型 (単独型 + 連携型
--                 of both, R8 支援診2イ included)
--   billing_*     claims_by_area, facility basis, all ages, $base_period: distinct 医療機関コード
--                 billing the indicator (the 8th plan's 訪問診療を実施している診療所・病院数)
--   patients(_75plus)  claims_by_area, residence basis, houmon_shinryo, $base_period, all ages
--                 (aged 75+), with their suppression flags: a suppressed cell stays null
--   projected_patients(_75plus)  projection_by_area of houmon_shinryo for each year (total /
--                 75plus), null where withheld (projected_*_suppressed) or missing
--                 (projection_status, projection_reason)
--   projected_(75plus_)per_billing_facility  projected ÷ billing_houmon_shinryo; null where the
--                 projection is null or no facility billed
--   survey_*, stated_capacity  survey_by_area (the newest survey of the prefecture); null where
--                 the prefecture has no survey, 0 where it has one but no facility of the area
--                 answered
--   hub_municipalities / municipalities_without_hub  base units of the area and those no hub
--                 serves (hub_coverage); null where the prefecture has no hub list
-- Reads: supply_facilities_input, supply_claims_input, supply_projection_input, survey_by_area,
-- hub_coverage, stg_area_units (level $level), survey_responses, hub_areas.
-- Parameters: $level, $base_period, $pref.

with

facilities as (
    select as_of, area_code, area_name, category, facilities, source, area_coverage
    from supply_facilities_input
),

claims as (
    select period, area_code, area_name, indicator, basis, age_group, patients,
        patients_suppressed, facilities
    from supply_claims_input
    where period = $base_period and age_group in ('total', '75plus')
),

projection as (
    select area_code, area_name, year, age_group, projected_patients, status, reason, suppressed
    from supply_projection_input
    where age_group in ('total', '75plus')
),

input_prefectures as (
    select substr(area_code, 1, 2) as pref_code from facilities
    union
    select substr(area_code, 1, 2) as pref_code from claims
    union
    select pref_code from survey_responses
    union
    select pref_code from hub_areas
),

areas as (
    select distinct u.area_code, u.area_name, u.pref_code
    from stg_area_units as u
    inner join input_prefectures as p on p.pref_code = u.pref_code
    where u.level = $level and u.in_grid
        and (cast($pref as varchar) is null or u.pref_code = $pref)
),

-- one facility source per area: the bureau list (it covers the whole prefecture), else a count
-- table; its latest date
sources as (
    select
        area_code, source, as_of, area_coverage,
        row_number() over (
            partition by area_code
            order by case when source = 'bureau_list' then 1 else 2 end, as_of desc
        ) as pick
    from (select distinct area_code, source, as_of, area_coverage from facilities) as s
),

registered as (
    select
        f.area_code,
        s.source,
        s.as_of,
        s.area_coverage,
        cast(sum(case when f.category like 'shienshin%' then f.facilities else 0 end) as bigint)
            as shienshin,
        cast(sum(case when f.category like 'shienbyo%' then f.facilities else 0 end) as bigint)
            as shienbyo,
        cast(
            sum(
                case
                    when f.category in (
                        'shienshin_tandoku', 'shienshin_renkei', 'shienbyo_tandoku',
                        'shienbyo_renkei'
                    ) then f.facilities
                    else 0
                end
            ) as bigint
        ) as kyoka,
        cast(sum(case when f.category = 'zaigobyo' then f.facilities else 0 end) as bigint)
            as zaigobyo,
        cast(sum(case when f.category = 'zaiisoukan' then f.facilities else 0 end) as bigint)
            as zaiisoukan
    from facilities as f
    inner join sources as s
        on s.area_code = f.area_code
        and s.source = f.source
        and s.as_of is not distinct from f.as_of
        and s.pick = 1
    group by f.area_code, s.source, s.as_of, s.area_coverage
),

facility_cells as (
    select area_code, indicator, facilities
    from claims
    where basis = 'facility' and age_group = 'total'
),

patient_cells as (
    select
        area_code, age_group, patients,
        case when patients_suppressed then 1 else 0 end as hidden
    from claims
    where basis = 'residence' and indicator = 'houmon_shinryo'
),

billing as (
    select
        area_code,
        max(case when indicator = 'houmon_shinryo' then facilities end) as billing_houmon_shinryo,
        max(case when indicator = 'oushin' then facilities end) as billing_oushin,
        max(case when indicator = 'mitori' then facilities end) as billing_mitori
    from facility_cells
    group by area_code
),

patients_now as (
    select
        area_code,
        max(case when age_group = 'total' then patients end) as patients,
        max(case when age_group = 'total' then hidden else 0 end) as patients_suppressed,
        max(case when age_group = '75plus' then patients end) as patients_75plus,
        max(case when age_group = '75plus' then hidden else 0 end) as patients_75plus_suppressed
    from patient_cells
    group by area_code
),

demand as (
    select
        area_code,
        year,
        max(case when age_group = 'total' then projected_patients end) as projected_patients,
        max(case when age_group = 'total' and suppressed then 1 else 0 end)
            as projected_patients_suppressed,
        max(case when age_group = 'total' then status end) as projection_status,
        max(case when age_group = 'total' then reason end) as projection_reason,
        max(case when age_group = '75plus' then projected_patients end)
            as projected_patients_75plus,
        max(case when age_group = '75plus' and suppressed then 1 else 0 end)
            as projected_patients_75plus_suppressed
    from projection
    group by area_code, year
),

survey_prefectures as (
    select distinct pref_code from survey_responses
),

hub_units as (
    select
        area_code,
        unit_code5,
        max(case when hub_name is not null then 1 else 0 end) as covered
    from hub_coverage
    group by area_code, unit_code5
),

hub_counts as (
    select
        area_code,
        count(*) as hub_municipalities,
        cast(sum(1 - covered) as bigint) as municipalities_without_hub
    from hub_units
    group by area_code
),

final as (
    select
        $level as area_level,
        a.area_code,
        a.area_name,
        a.pref_code,
        r.as_of as facilities_as_of,
        r.source as facilities_source,
        r.area_coverage as facilities_area_coverage,
        r.shienshin as registered_shienshin,
        r.shienbyo as registered_shienbyo,
        r.kyoka as registered_kyoka,
        r.zaigobyo as registered_zaigobyo,
        r.zaiisoukan as registered_zaiisoukan,
        case when c.area_code is not null then $base_period end as base_period,
        b.billing_houmon_shinryo,
        b.billing_oushin,
        b.billing_mitori,
        c.patients,
        coalesce(c.patients_suppressed = 1, false) as patients_suppressed,
        c.patients_75plus,
        coalesce(c.patients_75plus_suppressed = 1, false) as patients_75plus_suppressed,
        d.year,
        d.projected_patients,
        coalesce(d.projected_patients_suppressed = 1, false) as projected_patients_suppressed,
        d.projection_status,
        d.projection_reason,
        d.projected_patients_75plus,
        coalesce(d.projected_patients_75plus_suppressed = 1, false)
            as projected_patients_75plus_suppressed,
        d.projected_patients / nullif(b.billing_houmon_shinryo, 0)
            as projected_per_billing_facility,
        d.projected_patients_75plus / nullif(b.billing_houmon_shinryo, 0)
            as projected_75plus_per_billing_facility,
        s.survey_as_of,
        case when sp.pref_code is not null then coalesce(s.survey_answers, 0) end
            as survey_answers,
        case when sp.pref_code is not null then coalesce(s.survey_facilities, 0) end
            as survey_facilities,
        case when sp.pref_code is not null then coalesce(s.stated_capacity, 0) end
            as stated_capacity,
        case when sp.pref_code is not null then coalesce(s.survey_willing, 0) end
            as survey_willing,
        h.hub_municipalities,
        h.municipalities_without_hub
    from areas as a
    left join registered as r on r.area_code = a.area_code
    left join billing as b on b.area_code = a.area_code
    left join patients_now as c on c.area_code = a.area_code
    left join demand as d on d.area_code = a.area_code
    left join survey_by_area as s on s.area_code = a.area_code
    left join survey_prefectures as sp on sp.pref_code = a.pref_code
    left join hub_counts as h on h.area_code = a.area_code
)

select
    area_level, area_code, area_name, pref_code, facilities_as_of, facilities_source,
    facilities_area_coverage, registered_shienshin, registered_shienbyo, registered_kyoka,
    registered_zaigobyo, registered_zaiisoukan, base_period, billing_houmon_shinryo,
    billing_oushin, billing_mitori, patients, patients_suppressed, patients_75plus,
    patients_75plus_suppressed, year, projected_patients, projected_patients_suppressed,
    projection_status, projection_reason, projected_patients_75plus,
    projected_patients_75plus_suppressed, projected_per_billing_facility,
    projected_75plus_per_billing_facility, survey_as_of, survey_answers, survey_facilities,
    stated_capacity, survey_willing, hub_municipalities, municipalities_without_hub
from final
order by area_code, year
