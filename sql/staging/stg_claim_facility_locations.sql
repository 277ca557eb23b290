-- stg_claim_facility_locations: where each billing facility of the claims is, per the bureau lists.
-- Grain: one row per facility_code10 found in facility_notifications.
-- code5 = the base unit (municipality, 特別区 or 政令市 ward) of the facility in the latest list
-- date (as_of) in which the facility appears at all: a facility that closed or dropped every
-- notification keeps the place it last had, and a facility that moved is placed where it is now.
-- Every row of the list counts, withdrawn or not home care: the lists locate facilities, they are
-- not used here to count notifications. If one list date placed a facility in two units (an
-- address typo corrected within a file), the smallest code5 is taken so the result is stable.
-- Facilities absent from every list are not here; the claims marts put them in an explicit
-- unknown area instead of dropping them.
-- Reads: facility_notifications.

with

notifications as (
    select facility_code10, code5, as_of
    from facility_notifications
),

latest as (
    select facility_code10, max(as_of) as as_of
    from notifications
    group by facility_code10
),

final as (
    select n.facility_code10, min(n.code5) as code5, l.as_of
    from notifications as n
    inner join latest as l on l.facility_code10 = n.facility_code10 and l.as_of = n.as_of
    group by n.facility_code10, l.as_of
)

select facility_code10, code5, as_of from final
