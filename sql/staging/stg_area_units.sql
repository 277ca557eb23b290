-- stg_area_units: how each base unit rolls up to each output level.
-- Grain: one row per (level, unit_code5). Levels: municipality (政令市 as one city, 特別区
-- separately), ward (政令市 split into 区), secondary-area (二次医療圏 of plan $plan), prefecture.
-- Base units are municipalities, 特別区, 政令市 wards (also the abolished 浜松 wards) and the
-- 政令市 city codes themselves, because claims name a 政令市 by its city code (国保 is run by
-- the city) and a few addresses carry no ward. A city whose wards lie in more than one area
-- (川崎市) cannot be placed in an area from its city code: it goes to the prefecture's
-- unknown area (pref || '99').
-- in_grid marks the areas every output lists even where nothing was counted (zeros matter to
-- planners): current units only, no 北方領土 villages, and a 政令市 city code only at the
-- municipality and prefecture levels (at ward level it stands for "ward unknown").

with

municipalities as (
    select
        code5, pref_code, pref_name, name, kind, parent_code5,
        status = 'current' and coalesce(note, '') not like '北方領土%' as is_current
    from ref_municipalities
    where kind <> '都道府県'
),

-- Areas whose official code is unknown (the 8 Akita areas of the 7th plan, PROVENANCE.md) get
-- a key that cannot pass for an official code: prefecture, '-', area name (e.g. 05-北秋田).
areas as (
    select
        code5,
        coalesce(area_code, pref_code || '-' || area_name) as area_code,
        area_name
    from ref_secondary_areas
    where plan = $plan
),

prefectures as (
    select pref_code, name as pref_name
    from ref_municipalities
    where kind = '都道府県'
),

-- the area of a 政令市 city code: the area of its wards when they all share one
city_areas as (
    select
        m.parent_code5 as code5,
        min(a.area_code) as area_code,
        min(a.area_name) as area_name,
        count(distinct a.area_code) as n_areas
    from municipalities as m
    inner join areas as a on a.code5 = m.code5
    where m.kind = '区'
    group by m.parent_code5
),

by_municipality as (
    select
        'municipality' as level,
        m.code5 as unit_code5,
        case when m.kind = '区' then m.parent_code5 else m.code5 end as area_code,
        case when m.kind = '区' then p.name else m.name end as area_name,
        m.pref_code,
        m.is_current as in_grid
    from municipalities as m
    left join municipalities as p on p.code5 = m.parent_code5
),

by_ward as (
    select
        'ward' as level,
        m.code5 as unit_code5,
        m.code5 as area_code,
        m.name as area_name,
        m.pref_code,
        m.is_current and m.kind <> '政令市' as in_grid
    from municipalities as m
),

by_secondary_area as (
    select
        'secondary-area' as level,
        m.code5 as unit_code5,
        case
            when a.area_name is not null then a.area_code
            when c.n_areas = 1 then c.area_code
            else m.pref_code || '99'
        end as area_code,
        case
            when a.area_name is not null then a.area_name
            when c.n_areas = 1 then c.area_name
            else m.pref_name || '（圏域不明）'
        end as area_name,
        m.pref_code,
        m.is_current and m.kind <> '政令市' as in_grid
    from municipalities as m
    left join areas as a on a.code5 = m.code5
    left join city_areas as c on c.code5 = m.code5
),

by_prefecture as (
    select
        'prefecture' as level,
        m.code5 as unit_code5,
        m.pref_code as area_code,
        p.pref_name as area_name,
        m.pref_code,
        m.is_current as in_grid
    from municipalities as m
    inner join prefectures as p on p.pref_code = m.pref_code
),

final as (
    select level, unit_code5, area_code, area_name, pref_code, in_grid from by_municipality
    union all
    select level, unit_code5, area_code, area_name, pref_code, in_grid from by_ward
    union all
    select level, unit_code5, area_code, area_name, pref_code, in_grid from by_secondary_area
    union all
    select level, unit_code5, area_code, area_name, pref_code, in_grid from by_prefecture
)

select level, unit_code5, area_code, area_name, pref_code, in_grid from final
