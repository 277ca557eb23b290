-- int_claim_areas: the areas of every output level, with compact ids.
-- Grain: one row per (level_id, area_code). area_name: the name stg_area_units gives the area
-- (null for the unknown areas, which the mart names per basis); in_grid: the area is listed with
-- zeros where nothing was counted (current units, see stg_area_units); pref_code: first two digits.
-- Reads: int_claim_unit_areas.

with

unit_areas as (
    select level_id, area_code, area_name, in_grid
    from int_claim_unit_areas
),

final as (
    select
        row_number() over (order by level_id, area_code) as area_id,
        level_id,
        area_code,
        min(area_name) as area_name,
        max(case when in_grid then 1 else 0 end) = 1 as in_grid,
        substr(area_code, 1, 2) as pref_code
    from unit_areas
    group by level_id, area_code
)

select area_id, level_id, area_code, area_name, in_grid, pref_code from final
