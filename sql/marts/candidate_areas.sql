-- candidate_areas: the 二次医療圏 of prefecture $pref (plan of stg_area_units) that the candidates
-- output lists, each one whether or not it has a candidate.
-- Grain: one row per secondary area of the grid, by code.
-- Reads: stg_area_units. Parameters: $pref.

with

units as (
    select area_code, area_name, level, in_grid, pref_code
    from stg_area_units
),

final as (
    select distinct area_code, area_name
    from units
    where level = 'secondary-area' and in_grid and pref_code = $pref
)

select area_code, area_name
from final
order by area_code
