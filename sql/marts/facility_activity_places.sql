-- facility_activity_places: every billing facility's activity in the period with the area where
-- it is, at level $level — the other facilities of an area beside a per-facility listing, so
-- that the listing's suppression can take them into account.
-- Grain: one row per facility_code10 of facility_activity.
-- The place is the facility basis of the claims marts (stg_claim_facility_locations, the latest
-- list holding the facility); a facility in no list gets its prefecture's unknown area
-- (pref || '99' for secondary areas, pref || '999' for municipalities and wards), as in claims_by_area.
-- Reads: facility_activity, stg_claim_facility_locations, stg_area_units (level $level).
-- Parameters: $level.

with

activity as (
    select
        facility_code10,
        cast(sum(case when indicator = 'houmon_shinryo' then patients else 0 end) as bigint) as houmon_patients,
        cast(sum(case when indicator = 'houmon_shinryo' then count else 0 end) as bigint) as houmon_count,
        cast(sum(case when indicator = 'oushin' then patients else 0 end) as bigint) as oushin_patients,
        cast(sum(case when indicator = 'oushin' then count else 0 end) as bigint) as oushin_count,
        cast(sum(case when indicator = 'mitori' then patients else 0 end) as bigint) as mitori_patients
    from facility_activity
    group by facility_code10
),

units as (
    select unit_code5, area_code
    from stg_area_units
    where level = $level
),

final as (
    select
        a.facility_code10,
        coalesce(
            u.area_code,
            substr(a.facility_code10, 1, 2)
            || case
                when $level = 'prefecture' then ''
                when $level = 'secondary-area' then '99'
                else '999'
            end
        ) as area_code,
        a.houmon_patients,
        a.houmon_count,
        a.oushin_patients,
        a.oushin_count,
        a.mitori_patients
    from activity as a
    left join stg_claim_facility_locations as l on l.facility_code10 = a.facility_code10
    left join units as u on u.unit_code5 = l.code5
)

select
    facility_code10, area_code, houmon_patients, houmon_count, oushin_patients, oushin_count,
    mitori_patients
from final
