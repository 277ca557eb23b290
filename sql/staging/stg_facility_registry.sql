-- stg_facility_registry: every facility of the ingested bureau lists, as the latest list shows it,
-- for matching the prefecture's own tables (its facility survey) to facilities.
-- Grain: one row per facility_code10.
-- The latest list date (as_of) in which the facility appears at all, like
-- stg_claim_facility_locations: a facility that dropped its notifications keeps its last name and
-- place. Within that date the facility's rows repeat the same name and address; the smallest
-- values are taken so that the result is stable if a file corrected one of them.
-- Reads: facility_notifications.

with

notifications as (
    select facility_code10, pref_code, facility_name, address, code5, as_of
    from facility_notifications
),

latest as (
    select facility_code10, max(as_of) as as_of
    from notifications
    group by facility_code10
),

final as (
    select
        n.facility_code10,
        min(n.pref_code) as pref_code,
        min(n.facility_name) as facility_name,
        min(n.address) as address,
        min(n.code5) as code5,
        l.as_of
    from notifications as n
    inner join latest as l on l.facility_code10 = n.facility_code10 and l.as_of = n.as_of
    group by n.facility_code10, l.as_of
)

select facility_code10, pref_code, facility_name, address, code5, as_of from final
