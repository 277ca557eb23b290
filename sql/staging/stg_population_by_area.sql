-- stg_population_by_area: 住基 population of every area at the level $level, by kind.
-- Grain: one row per (area_code, kind). kind: population (all ages), under65, age65to74,
-- age65p, age75p (see stg_population_units for how the age groups are made).
-- An area's figure is the sum of its base units that every output lists (stg_area_units.in_grid:
-- current units, no 北方領土 villages). status: 'exact' when every such unit has a population;
-- else 'missing: …' and value null, never a partial sum. Areas with no base unit at all (the
-- unknown areas pref||'99'/'999', a 政令市 city code at ward level) are not in this table: the
-- marts that join it say 'missing' for them.
-- Reads: stg_area_units (materialised for the plan of this run), ref_municipalities,
-- stg_population_units.
-- Parameters: $level.

with

units as (
    select u.unit_code5, u.area_code, u.area_name, u.pref_code
    from stg_area_units as u
    inner join ref_municipalities as m on m.code5 = u.unit_code5
    where u.level = $level
        and u.in_grid
        and m.kind in ('市', '町', '村', '特別区', '区')
),

by_area as (
    select
        u.area_code,
        min(u.area_name) as area_name,
        min(u.pref_code) as pref_code,
        count(*) as units,
        count(p.code5) as units_found,
        cast(sum(p.total) as bigint) as total,
        cast(sum(p.under65) as bigint) as under65,
        cast(sum(p.age65to74) as bigint) as age65to74,
        cast(sum(p.age65p) as bigint) as age65p,
        cast(sum(p.age75p) as bigint) as age75p,
        max(p.as_of) as as_of,
        min(p.source) as source
    from units as u
    left join stg_population_units as p on p.code5 = u.unit_code5
    group by u.area_code
),

kinds as (
    select 'population' as kind, 1 as kind_order
    union all select 'under65' as kind, 2 as kind_order
    union all select 'age65to74' as kind, 3 as kind_order
    union all select 'age65p' as kind, 4 as kind_order
    union all select 'age75p' as kind, 5 as kind_order
),

final as (
    select
        a.area_code,
        a.area_name,
        a.pref_code,
        k.kind,
        k.kind_order,
        case
            when a.units_found < a.units then cast(null as bigint)
            when k.kind = 'population' then a.total
            when k.kind = 'under65' then a.under65
            when k.kind = 'age65to74' then a.age65to74
            when k.kind = 'age65p' then a.age65p
            else a.age75p
        end as value,
        a.as_of,
        a.source,
        case
            when a.units_found < a.units
                then 'missing: ' || cast(a.units - a.units_found as varchar) || ' of '
                    || cast(a.units as varchar) || ' units have no 住基 population'
            else 'exact'
        end as status
    from by_area as a
    cross join kinds as k
)

select area_code, area_name, pref_code, kind, kind_order, value, as_of, source, status
from final
