-- report_municipality_areas: the 二次医療圏 each municipality of one prefecture belongs to, so
-- that the report can group its per-municipality tables by area.
-- Grain: one row per municipality-level area (area_level 'municipality': 政令市 as one city,
-- 特別区 separately) of prefecture $pref that is in the output grid.
-- A 政令市 whose wards lie in more than one area (川崎市) belongs to none of them: its
-- secondary_area_code is null and the report lists it apart, rather than under one area.
-- Reads stg_area_units (materialised for the plan of the report).

with

municipality_units as (
    select unit_code5, area_code, area_name
    from stg_area_units
    where level = 'municipality' and pref_code = $pref and in_grid
),

secondary_units as (
    select unit_code5, area_code, area_name
    from stg_area_units
    where level = 'secondary-area' and pref_code = $pref and in_grid
),

-- a 政令市 row of the municipality level stands for all its wards: take their areas
placed as (
    select
        m.area_code as municipality_code,
        min(m.area_name) as municipality_name,
        min(s.area_code) as secondary_area_code,
        min(s.area_name) as secondary_area_name,
        count(distinct s.area_code) as n_areas
    from municipality_units as m
    inner join secondary_units as s on s.unit_code5 = m.unit_code5
    group by m.area_code
),

final as (
    select
        municipality_code,
        municipality_name,
        case when n_areas = 1 then secondary_area_code end as secondary_area_code,
        case when n_areas = 1 then secondary_area_name end as secondary_area_name
    from placed
)

select municipality_code, municipality_name, secondary_area_code, secondary_area_name
from final
order by municipality_code
