-- int_claim_unit_areas: the area of each base unit at every output level, both plans at once.
-- Grain: one row per (level_id, unit_id). level_id: 1 ward (政令市 by 区), 2 municipality (政令市 as
-- one city, 特別区 separately), 3 二次医療圏 of the 8th plan, 4 二次医療圏 of the 7th plan,
-- 5 prefecture. Known units take their area from stg_area_units of each plan; the unknown unit
-- of a prefecture is the explicit unknown area: pref || '999' (ward, municipality),
-- pref || '99' (secondary-area: the same code as the prefecture's '（圏域不明）' area, which it
-- joins) or the prefecture itself.
-- area_name is null where stg_area_units has none (unknown areas: named per basis by the mart).
-- Reads: int_claim_units, stg_area_units_8th, stg_area_units_7th.

with

units as (
    select unit_id, unit_code5, pref_code, is_unknown
    from int_claim_units
),

levels as (
    select 1 as level_id, 'ward' as level
    union all
    select 2 as level_id, 'municipality' as level
    union all
    select 3 as level_id, 'secondary-area' as level
    union all
    select 4 as level_id, 'secondary-area' as level
    union all
    select 5 as level_id, 'prefecture' as level
),

plan_areas as (
    select l.level_id, a.unit_code5, a.area_code, a.area_name, a.in_grid
    from stg_area_units_8th as a
    inner join levels as l on l.level = a.level
    where l.level_id <> 4
    union all
    select 4 as level_id, a.unit_code5, a.area_code, a.area_name, a.in_grid
    from stg_area_units_7th as a
    where a.level = 'secondary-area'
),

known as (
    select p.level_id, u.unit_id, p.area_code, p.area_name, p.in_grid
    from plan_areas as p
    inner join units as u on u.unit_code5 = p.unit_code5
),

unknown as (
    select
        l.level_id,
        u.unit_id,
        case
            when l.level_id = 5 then u.pref_code
            when l.level_id in (3, 4) then u.pref_code || '99'
            else u.pref_code || '999'
        end as area_code,
        cast(null as varchar) as area_name,
        false as in_grid
    from units as u
    cross join levels as l
    where u.is_unknown
),

final as (
    select level_id, unit_id, area_code, area_name, in_grid from known
    union all
    select level_id, unit_id, area_code, area_name, in_grid from unknown
)

select level_id, unit_id, area_code, area_name, in_grid from final
