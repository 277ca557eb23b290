-- hub_coverage: which municipalities a 在宅医療に必要な連携を担う拠点 serves, per area.
-- Grain: one row per (unit_code5, hub_name) for every base unit (市町村, 特別区, 政令市 ward) of
-- the prefectures that have a hub list, at level $level; hub_name null where no hub serves the
-- unit. A ward is served by a hub naming it or naming its 政令市.
-- Reads: hub_areas, stg_area_units (level $level), ref_municipalities. Parameters: $level.

with

hubs as (
    select pref_code, hub_name, code5
    from hub_areas
),

prefectures as (
    select distinct pref_code
    from hubs
),

units as (
    select u.unit_code5, u.area_code, u.area_name, u.pref_code, m.name, m.parent_code5
    from stg_area_units as u
    inner join prefectures as p on p.pref_code = u.pref_code
    inner join ref_municipalities as m on m.code5 = u.unit_code5
    where u.level = $level and u.in_grid and m.kind in ('市', '町', '村', '特別区', '区')
),

links as (
    select distinct u.unit_code5, h.hub_name
    from units as u
    inner join hubs as h on h.code5 = u.unit_code5 or h.code5 = u.parent_code5
),

final as (
    select u.area_code, u.area_name, u.pref_code, u.unit_code5, u.name, l.hub_name
    from units as u
    left join links as l on l.unit_code5 = u.unit_code5
)

select area_code, area_name, pref_code, unit_code5, name, hub_name
from final
order by area_code, unit_code5, hub_name
