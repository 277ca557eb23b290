-- supply_facilities_by_area: registered facilities per area and category beside how many of them
-- billed 訪問診療 / 往診 / 看取り in fiscal year $period, and how many billed neither 訪問診療
-- nor 往診 (registered but inactive).
-- Grain: one row per (area_code, category) at level $level, for every area of the prefectures
-- whose bureau lists are in facility_roster (0 where none), categories in ref_categories order.
--   registered        distinct facilities of the category on the latest list (facility_roster)
--   billing_*         of them, facilities with at least one line of the indicator in $period
--                     (by 医療機関コード, wherever the patient lives)
--   inactive          of them, facilities with no 訪問診療 and no 往診 line in $period, not
--                     counting those whose notification started after it (registered_after_period)
--   registered_after_period  of them, notifications starting after the period
-- Where the claims hold no resident of the prefecture (claims_cover_pref false) the billing and
-- inactive counts are null: the claims cannot tell. Facility counts are not suppressed (they
-- count institutions, not persons).
-- Reads: facility_roster, stg_area_units (level $level), ref_categories. Parameters: $level.

with

roster as (
    select
        area_code, area_name, pref_code, as_of, facility_code10, category, registered_after_period,
        houmon_patients, oushin_patients, mitori_patients, claims_cover_pref
    from facility_roster
),

prefectures as (
    select
        pref_code,
        max(as_of) as as_of,
        max(case when claims_cover_pref then 1 else 0 end) as covered
    from roster
    group by pref_code
),

-- every area of the prefectures, and any area a facility sits in outside them (a unit with no
-- area: 圏域不明), so that no facility is left out
areas as (
    select u.area_code, u.area_name, u.pref_code
    from stg_area_units as u
    inner join prefectures as p on p.pref_code = u.pref_code
    where u.level = $level and u.in_grid
    union
    select area_code, area_name, pref_code from roster
),

grid as (
    select a.area_code, a.area_name, a.pref_code, c.category, c.short_ja,
        try_cast(c.display_order as integer) as display_order
    from areas as a
    cross join ref_categories as c
),

counts as (
    select
        area_code,
        category,
        count(*) as registered,
        cast(sum(case when houmon_patients > 0 then 1 else 0 end) as bigint) as billing_houmon_shinryo,
        cast(sum(case when oushin_patients > 0 then 1 else 0 end) as bigint) as billing_oushin,
        cast(sum(case when mitori_patients > 0 then 1 else 0 end) as bigint) as billing_mitori,
        cast(
            sum(
                case
                    when houmon_patients = 0 and oushin_patients = 0
                        and not registered_after_period then 1
                    else 0
                end
            ) as bigint
        ) as inactive,
        cast(sum(case when registered_after_period then 1 else 0 end) as bigint)
            as registered_after_period
    from roster
    group by area_code, category
),

final as (
    select
        g.area_code,
        g.area_name,
        g.pref_code,
        p.as_of,
        g.category,
        g.display_order,
        coalesce(c.registered, 0) as registered,
        case when p.covered = 1 then coalesce(c.billing_houmon_shinryo, 0) end
            as billing_houmon_shinryo,
        case when p.covered = 1 then coalesce(c.billing_oushin, 0) end as billing_oushin,
        case when p.covered = 1 then coalesce(c.billing_mitori, 0) end as billing_mitori,
        case when p.covered = 1 then coalesce(c.inactive, 0) end as inactive,
        coalesce(c.registered_after_period, 0) as registered_after_period,
        p.covered = 1 as claims_cover_pref
    from grid as g
    inner join prefectures as p on p.pref_code = g.pref_code
    left join counts as c on c.area_code = g.area_code and c.category = g.category
)

select
    area_code, area_name, pref_code, as_of, category, registered, billing_houmon_shinryo,
    billing_oushin, billing_mitori, inactive, registered_after_period, claims_cover_pref
from final
order by area_code, display_order
