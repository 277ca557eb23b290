-- int_claim_unit_area_ids: the area id of each base unit at every level (both plans).
-- Grain: one row per (level_id, unit_id).
-- Reads: int_claim_unit_areas, int_claim_areas.

with

final as (
    select u.level_id, u.unit_id, a.area_id
    from int_claim_unit_areas as u
    inner join int_claim_areas as a on a.level_id = u.level_id and a.area_code = u.area_code
)

select level_id, unit_id, area_id from final
