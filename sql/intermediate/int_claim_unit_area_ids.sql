-- int_claim_unit_area_ids: the area id of each base unit at every level (both plans).
-- Grain: one row per (level_id, unit_id). area_units: how many base units the area has (1 for
-- most municipalities and every ward: an entity present in the unit is present in the area
-- once, so the distinct counts need no de-duplication there).
-- Reads: int_claim_unit_areas, int_claim_areas.

with

placed as (
    select u.level_id, u.unit_id, a.area_id
    from int_claim_unit_areas as u
    inner join int_claim_areas as a on a.level_id = u.level_id and a.area_code = u.area_code
),

final as (
    select level_id, unit_id, area_id, count(*) over (partition by area_id) as area_units
    from placed
)

select level_id, unit_id, area_id, area_units from final
