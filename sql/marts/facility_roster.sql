-- facility_roster: every facility holding a home-care notification on the latest bureau list of
-- its prefecture, with its place, its notification and what it billed in fiscal year $period.
-- Grain: one row per (facility_code10, category) of stg_facility_categories (withdrawn
-- notifications left out; one 支援診/支援病 tier per facility, the highest).
--   area_code / area_name  the area of the facility's base unit (code5 on the list) at $level
--   label        受理記号 as printed (the smallest when a category has several notifications)
--   kyoka_rate   paid at 機能強化型 rates: true for 支援診1/2 (≤R6), 2ア, 支援病1/2; false for
--                R8 支援診2イ and 従来型; null where unknown (R8 list printing 支援診2 without ア/イ)
--   start_date   算定開始年月日 (the earliest of the category's notifications); registered_after
--                _period: it started on or after the first day of the next fiscal year, so the
--                facility could not have billed in the period as holder
--   houmon_patients, houmon_count, oushin_patients, oushin_count, mitori_patients: from
--                facility_activity_places (0 where no line); not suppressed here
--   claims_cover_pref  the claims of $period hold residents of the facility's prefecture; where
--                not, no claim says anything about it (activity 0 means "not in the claims")
-- Reads: stg_facility_categories, facility_notifications, stg_area_units (level $level),
-- facility_activity_places, claim_lines, ref_municipalities, ref_months.
-- Parameters: $level, $period.

with

categories as (
    select as_of, pref_code, facility_code10, code5, category
    from stg_facility_categories
),

notifications as (
    select
        n.as_of,
        n.facility_code10,
        n.category,
        min(n.facility_name) as facility_name,
        min(n.address) as address,
        min(n.label_raw) as label,
        max(case when n.kyoka_rate then 1 when not n.kyoka_rate then 0 end) as kyoka_level,
        min(n.start_date) as start_date
    from facility_notifications as n
    inner join categories as c
        on c.as_of = n.as_of
        and c.facility_code10 = n.facility_code10
        and c.category = n.category
    where not n.withdrawn
    group by n.as_of, n.facility_code10, n.category
),

units as (
    select unit_code5, area_code, area_name
    from stg_area_units
    where level = $level
),

period_year as (
    select max(fiscal_year) as fiscal_year
    from ref_months
    where fy_label = $period
),

next_year_start as (
    select min(m.month_start) as month_start
    from ref_months as m
    inner join period_year as p on m.fiscal_year = p.fiscal_year + 1
),

claims_prefectures as (
    select distinct substr(l.residence_code5, 1, 2) as pref_code
    from claim_lines as l
    inner join ref_months as m on m.month_start = l.service_month
    where m.fy_label = $period
),

activity as (
    select
        facility_code10, houmon_patients, houmon_count, oushin_patients, oushin_count,
        mitori_patients
    from facility_activity_places
),

final as (
    select
        c.as_of,
        c.pref_code,
        coalesce(u.area_code, c.pref_code || '99') as area_code,
        coalesce(u.area_name, '（圏域不明）') as area_name,
        c.code5,
        m.name as municipality_name,
        c.facility_code10,
        n.facility_name,
        n.address,
        c.category,
        n.label,
        case when n.kyoka_level = 1 then true when n.kyoka_level = 0 then false end
            as kyoka_rate,
        n.start_date,
        coalesce(n.start_date >= y.month_start, false) as registered_after_period,
        coalesce(a.houmon_patients, 0) as houmon_patients,
        coalesce(a.houmon_count, 0) as houmon_count,
        coalesce(a.oushin_patients, 0) as oushin_patients,
        coalesce(a.oushin_count, 0) as oushin_count,
        coalesce(a.mitori_patients, 0) as mitori_patients,
        p.pref_code is not null as claims_cover_pref
    from categories as c
    inner join notifications as n
        on n.as_of = c.as_of
        and n.facility_code10 = c.facility_code10
        and n.category = c.category
    left join units as u on u.unit_code5 = c.code5
    left join ref_municipalities as m on m.code5 = c.code5
    left join activity as a on a.facility_code10 = c.facility_code10
    left join claims_prefectures as p on p.pref_code = c.pref_code
    cross join next_year_start as y
)

select
    as_of, pref_code, area_code, area_name, code5, municipality_name, facility_code10,
    facility_name, address, category, label, kyoka_rate, start_date, registered_after_period,
    houmon_patients, houmon_count, oushin_patients, oushin_count, mitori_patients,
    claims_cover_pref
from final
