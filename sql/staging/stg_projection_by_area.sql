-- stg_projection_by_area: the 社人研 2023 projection (2020–2050) of every area at level $level.
-- Grain: one row per (area_code, year, kind); kinds as in stg_population_by_area (population,
-- under65 = total - 65+, age65to74 = 65+ - 75+, age65p, age75p); year = the projection year
-- (figures as of 1 October of that year).
-- The projection's units are those of 2020 (PROVENANCE.md): ref_projection_units groups units
-- into blocks that cover the same ground on both sides (old 浜松 wards vs new ones, the 13
-- 浜通り municipalities vs the group 07999); any other unit is a block by itself. An area gets:
--   a whole block that lies inside it             exact
--   part of a split_by_juki_share block            estimated: block value × the area's share of
--                                                  the block's 住基 2025-01-01 population (per
--                                                  kind: total, 65+, 75+ apart), rounded
--   part of a not_separable block, or a unit       missing: value null, never a partial sum
--   with no projection
-- Status of an area = the worst of its parts (missing > estimated > exact), with the reason.
-- Areas with no base unit at all (unknown areas) are not in this table.
-- Reads: stg_area_units (materialised for the plan of this run), ref_municipalities,
-- ref_population_projection, ref_projection_units, ref_population (shares; packaged 2025-01-01).
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

current_map as (
    select code5, block, method
    from ref_projection_units
    where side = 'current'
),

projection_map as (
    select code5, block
    from ref_projection_units
    where side = 'projection'
),

juki as (
    select
        code5,
        try_cast(total as bigint) as total,
        try_cast(age65p as bigint) as age65p,
        try_cast(age75p as bigint) as age75p
    from ref_population
),

-- each in-grid unit with its block and its share of the block's 住基 population
unit_blocks as (
    select
        u.unit_code5,
        u.area_code,
        u.area_name,
        u.pref_code,
        coalesce(c.block, u.unit_code5) as block,
        coalesce(c.method, 'identity') as method,
        j.total as juki_total,
        j.age65p as juki_65p,
        j.age75p as juki_75p
    from units as u
    left join current_map as c on c.code5 = u.unit_code5
    left join juki as j on j.code5 = u.unit_code5
),

unit_shares as (
    select
        unit_code5,
        area_code,
        area_name,
        pref_code,
        block,
        method,
        cast(juki_total as double)
            / nullif(sum(juki_total) over (partition by block), 0) as share_total,
        cast(juki_65p as double)
            / nullif(sum(juki_65p) over (partition by block), 0) as share_65p,
        cast(juki_75p as double)
            / nullif(sum(juki_75p) over (partition by block), 0) as share_75p
    from unit_blocks
),

projection_rows as (
    select
        p.code5,
        coalesce(m.block, p.code5) as block,
        try_cast(p.year as integer) as year,
        try_cast(p.total as bigint) as total,
        try_cast(p.age65p as bigint) as age65p,
        try_cast(p.age75p as bigint) as age75p
    from ref_population_projection as p
    left join projection_map as m on m.code5 = p.code5
    where p.kind not in ('都道府県', '政令市')
),

years as (
    select distinct year from projection_rows
),

block_values as (
    select
        block,
        year,
        cast(sum(total) as bigint) as total,
        cast(sum(age65p) as bigint) as age65p,
        cast(sum(age75p) as bigint) as age75p,
        min(code5) as first_code,
        max(code5) as last_code
    from projection_rows
    group by block, year
),

area_blocks as (
    select
        area_code,
        min(area_name) as area_name,
        min(pref_code) as pref_code,
        block,
        min(method) as method,
        min(unit_code5) as first_unit,
        sum(share_total) as share_total,
        sum(share_65p) as share_65p,
        sum(share_75p) as share_75p
    from unit_shares
    group by area_code, block
),

-- in how many areas of this level a block lies (one row per area and block above)
area_blocks_counted as (
    select
        area_code, area_name, pref_code, block, method, first_unit,
        share_total, share_65p, share_75p,
        count(*) over (partition by block) as block_areas
    from area_blocks
),

parts as (
    select
        a.area_code,
        a.area_name,
        a.pref_code,
        y.year,
        case
            when v.block is null then 'missing'
            when a.block_areas = 1 then 'exact'
            when a.method = 'split_by_juki_share' then 'estimated'
            else 'missing'
        end as part_status,
        case
            when v.block is null
                then 'missing: no 社人研 2023 projection for ' || a.first_unit
            when a.block_areas = 1 then cast(null as varchar)
            when a.method = 'split_by_juki_share'
                then 'estimated: the projection has ' || v.first_code || '–' || v.last_code
                    || ' (2020 boundaries) only together; this area''s part = their sum × its'
                    || ' share of their 住基 2025-01-01 population (total, 65+, 75+ apart)'
            else 'missing: 社人研 2023 projects ' || v.first_code || ' as one group of '
                || 'municipalities, which this area holds only in part'
        end as part_reason,
        case
            when a.block_areas = 1 then v.total
            else cast(round(v.total * a.share_total) as bigint)
        end as total,
        case
            when a.block_areas = 1 then v.age65p
            else cast(round(v.age65p * a.share_65p) as bigint)
        end as age65p,
        case
            when a.block_areas = 1 then v.age75p
            else cast(round(v.age75p * a.share_75p) as bigint)
        end as age75p
    from area_blocks_counted as a
    cross join years as y
    left join block_values as v on v.block = a.block and v.year = y.year
),

by_area as (
    select
        area_code,
        min(area_name) as area_name,
        min(pref_code) as pref_code,
        year,
        sum(case when part_status = 'missing' then 1 else 0 end) as missing_parts,
        sum(case when part_status = 'estimated' then 1 else 0 end) as estimated_parts,
        min(case when part_status = 'missing' then part_reason end) as missing_reason,
        min(case when part_status = 'estimated' then part_reason end) as estimated_reason,
        cast(sum(total) as bigint) as total,
        cast(sum(age65p) as bigint) as age65p,
        cast(sum(age75p) as bigint) as age75p
    from parts
    group by area_code, year
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
        a.year,
        k.kind,
        k.kind_order,
        case
            when a.missing_parts > 0 then cast(null as bigint)
            when k.kind = 'population' then a.total
            when k.kind = 'under65' then a.total - a.age65p
            when k.kind = 'age65to74' then a.age65p - a.age75p
            when k.kind = 'age65p' then a.age65p
            else a.age75p
        end as value,
        cast(cast(a.year as varchar) || '-10-01' as date) as as_of,
        'ipss_r5_2023' as source,
        case
            when a.missing_parts > 0 then a.missing_reason
            when a.estimated_parts > 0 then a.estimated_reason
            else 'exact'
        end as status
    from by_area as a
    cross join kinds as k
)

select area_code, area_name, pref_code, year, kind, kind_order, value, as_of, source, status
from final
