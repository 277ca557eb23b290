-- stg_facility_registry: every facility of the ingested bureau lists, with the name and address
-- of the latest list that holds it, for matching the prefecture's own tables (its facility
-- survey) to facilities.
-- Grain: one row per facility_code10.
-- The list date and place are those of stg_claim_facility_locations (the latest list in which
-- the facility appears at all: a facility that dropped its notifications keeps its last name
-- and place). Within that date its rows repeat the same name and address; the smallest values
-- are taken so that the result is stable if a file corrected one of them.
-- Reads: facility_notifications, stg_claim_facility_locations.

with

notifications as (
    select facility_code10, pref_code, facility_name, address, as_of
    from facility_notifications
),

final as (
    select
        n.facility_code10,
        min(n.pref_code) as pref_code,
        min(n.facility_name) as facility_name,
        min(n.address) as address,
        l.code5,
        l.as_of
    from notifications as n
    inner join stg_claim_facility_locations as l
        on l.facility_code10 = n.facility_code10 and l.as_of = n.as_of
    group by n.facility_code10, l.code5, l.as_of
)

select facility_code10, pref_code, facility_name, address, code5, as_of from final
