-- int_claim_facilities: each billing facility of the claim lines, with a compact id and the base
-- unit it is located in (stg_claim_facility_locations, i.e. the latest bureau list that holds it).
-- Grain: one row per distinct facility_code10 of claim_lines. A facility in no list goes to the
-- unknown unit of the prefecture of its code's first two digits ('所在地不明').
-- Reads: claim_lines, stg_claim_facility_locations, int_claim_units.

with

codes as (
    select distinct facility_code10
    from claim_lines
),

known as (
    select unit_id, unit_code5
    from int_claim_units
    where not is_unknown
),

unknown as (
    select unit_id, pref_code
    from int_claim_units
    where is_unknown
),

final as (
    select
        c.facility_code10,
        row_number() over (order by c.facility_code10) as facility_id,
        coalesce(k.unit_id, u.unit_id, u0.unit_id) as unit_id
    from codes as c
    left join stg_claim_facility_locations as loc on loc.facility_code10 = c.facility_code10
    left join known as k on k.unit_code5 = loc.code5
    left join unknown as u on u.pref_code = substr(c.facility_code10, 1, 2)
    left join unknown as u0 on u0.pref_code = '00'
)

select facility_code10, facility_id, unit_id from final
