-- facilities_by_area: home-care facilities per area, category and list date.
-- Grain: one row per (as_of, area_code, category, source) at the level $level.
-- facilities = distinct facilities (bureau lists, from stg_facility_categories) or the sum of
-- the published counts (wide count tables: each facility sits in one municipality, so counts
-- add up across municipalities). Categories overlap (most 在支診 also hold 在医総管): never add
-- categories together. Areas of a covered prefecture with no facility of a category get 0, so
-- that "none" is visible. Count tables: the snapshot $as_of, else the latest per prefecture
-- (an undated table counts as older than any dated one).
-- Coverage: a count table may list only some municipalities of a prefecture (the 盛岡 table lists
-- 8 of 岩手's 33). members_total = the area's municipalities (a 政令市 is one, its wards are
-- not counted apart), members_covered = how many of them the table lists (a 政令市 is listed
-- when the table names it or any of its wards); area_coverage = 'partial' when fewer, and then
-- the figure is not the area's total. Bureau lists cover their whole prefecture: 'complete'.
-- pref_code is the area's prefecture; the files a row comes from are in facility_source_files.
-- Reads: stg_facility_categories, stg_facility_counts_selected, stg_area_units (materialised for
-- this run), ref_juri_kigo, ref_categories (Japanese short label and display order).

with

units as (
    select unit_code5, area_code, area_name, pref_code, in_grid
    from stg_area_units
    where level = $level
),

-- each unit's municipality (a ward's is its 政令市), for counting an area's members
unit_municipalities as (
    select unit_code5, area_code as municipality_code
    from stg_area_units
    where level = 'municipality'
),

area_members as (
    select area_code, count(*) as members_total
    from (
        select distinct u.area_code, m.municipality_code
        from units as u
        inner join unit_municipalities as m on m.unit_code5 = u.unit_code5
        where u.in_grid
    ) as members
    group by area_code
),

bureau as (
    select as_of, pref_code, code5, category, facility_code10
    from stg_facility_categories
),

bureau_snapshots as (
    select distinct as_of, pref_code
    from stg_facility_categories
),

bureau_categories as (
    select distinct category from ref_juri_kigo where category is not null
),

bureau_grid as (
    select distinct s.as_of, u.pref_code, u.area_code, u.area_name, c.category
    from bureau_snapshots as s
    inner join units as u on u.pref_code = s.pref_code
    cross join bureau_categories as c
    where u.in_grid
),

bureau_counted as (
    select b.as_of, u.pref_code, u.area_code, u.area_name, b.category,
        count(distinct b.facility_code10) as facilities
    from bureau as b
    inner join units as u on u.unit_code5 = b.code5
    group by b.as_of, u.pref_code, u.area_code, u.area_name, b.category
),

-- the grid plus any counted area outside it (a 政令市 address without a ward at ward level,
-- an abolished 浜松 ward): nothing counted is ever dropped
bureau_keys as (
    select as_of, pref_code, area_code, area_name, category from bureau_grid
    union
    select as_of, pref_code, area_code, area_name, category from bureau_counted
),

bureau_by_area as (
    select k.as_of, k.pref_code, k.area_code, k.area_name, k.category,
        coalesce(c.facilities, 0) as facilities,
        'bureau_list' as source,
        cast(null as bigint) as members_covered
    from bureau_keys as k
    left join bureau_counted as c
        on c.as_of = k.as_of and c.area_code = k.area_code and c.category = k.category
),

counts as (
    select as_of, code5, category, facilities
    from stg_facility_counts_selected
),

count_coverage as (
    select as_of, area_code, count(*) as members_covered
    from (
        select distinct c.as_of, u.area_code, m.municipality_code
        from counts as c
        inner join units as u on u.unit_code5 = c.code5
        inner join unit_municipalities as m on m.unit_code5 = c.code5
    ) as covered
    group by as_of, area_code
),

counts_by_area as (
    select c.as_of, u.pref_code, u.area_code, u.area_name, c.category,
        sum(c.facilities) as facilities,
        'count_table' as source,
        cast(null as bigint) as members_covered
    from counts as c
    inner join units as u on u.unit_code5 = c.code5
    group by c.as_of, u.pref_code, u.area_code, u.area_name, c.category
),

unioned as (
    select as_of, pref_code, area_code, area_name, category, facilities, source, members_covered
    from bureau_by_area
    union all
    select as_of, pref_code, area_code, area_name, category, facilities, source, members_covered
    from counts_by_area
),

final as (
    select
        u.as_of, u.pref_code, u.area_code, u.area_name, u.category, u.facilities, u.source,
        coalesce(v.members_covered, m.members_total) as members_covered,
        m.members_total
    from unioned as u
    left join area_members as m on m.area_code = u.area_code
    left join count_coverage as v
        on u.source = 'count_table' and v.area_code = u.area_code
        and v.as_of is not distinct from u.as_of
)

select
    f.as_of,
    $level as area_level,
    f.area_code,
    f.area_name,
    f.category,
    c.short_ja as category_ja,
    cast(f.facilities as bigint) as facilities,
    f.source,
    f.pref_code,
    cast(f.members_covered as bigint) as members_covered,
    cast(f.members_total as bigint) as members_total,
    case
        when f.members_covered < f.members_total then 'partial'
        else 'complete'
    end as area_coverage
from final as f
left join ref_categories as c on c.category = f.category
order by f.source, f.as_of, f.area_code, try_cast(c.display_order as integer)
