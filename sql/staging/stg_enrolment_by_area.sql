-- stg_enrolment_by_area: members of 国保 + 後期高齢者医療 (the people KDB covers) per area and
-- age group at level $level, from the enrolment tables the analyst ingested.
-- Grain: one row per (area_code, age_group); age_group under65, 65to74, 75plus and total (the
-- three added up, only when all three are complete). Schemes (国保, 後期) are added together.
-- Snapshot: per prefecture the newest as_of wins (at equal dates the later ingest).
-- Coverage: an enrolment table may list only some municipalities, and 国保 is run by the 政令市,
-- so a city row stands for all its wards. An area's figure is 'complete' when every base unit
-- the area lists (stg_area_units.in_grid) is covered, by its own row or by its city's row when
-- that city lies in the same area at this level (so a city row never fills a ward-level area,
-- nor 川崎's two secondary areas); else 'partial: n of m units' and members null: a partial sum
-- would overstate a rate.
-- Reads: enrolment, stg_area_units (materialised for the plan of this run), ref_municipalities.
-- Parameters: $level.

with

ranked as (
    select
        pref_code,
        as_of,
        ingest_id,
        row_number() over (
            partition by pref_code order by as_of desc, ingest_id desc
        ) as snapshot_rank
    from (select distinct pref_code, as_of, ingest_id from enrolment) as s
),

unit_members as (
    select e.code5, e.age_group, max(e.as_of) as as_of, sum(e.members) as members
    from enrolment as e
    inner join ranked as k
        on k.pref_code = e.pref_code and k.as_of = e.as_of and k.ingest_id = e.ingest_id
    where k.snapshot_rank = 1
    group by e.code5, e.age_group
),

level_units as (
    select unit_code5, area_code
    from stg_area_units
    where level = $level
),

grid_units as (
    select u.unit_code5, u.area_code, m.parent_code5
    from stg_area_units as u
    inner join ref_municipalities as m on m.code5 = u.unit_code5
    where u.level = $level
        and u.in_grid
        and m.kind in ('市', '町', '村', '特別区', '区')
),

age_groups as (
    select 'under65' as age_group
    union all select '65to74' as age_group
    union all select '75plus' as age_group
),

coverage as (
    select
        g.area_code,
        a.age_group,
        count(*) as units,
        sum(
            case
                when own.code5 is not null then 1
                when city.code5 is not null and pa.area_code = g.area_code then 1
                else 0
            end
        ) as units_covered
    from grid_units as g
    cross join age_groups as a
    left join unit_members as own on own.code5 = g.unit_code5 and own.age_group = a.age_group
    left join unit_members as city on city.code5 = g.parent_code5 and city.age_group = a.age_group
    left join level_units as pa on pa.unit_code5 = g.parent_code5
    group by g.area_code, a.age_group
),

area_members as (
    select lu.area_code, m.age_group, max(m.as_of) as as_of, sum(m.members) as members
    from unit_members as m
    inner join level_units as lu on lu.unit_code5 = m.code5
    group by lu.area_code, m.age_group
),

by_group as (
    select
        c.area_code,
        c.age_group,
        c.units,
        c.units_covered,
        case when c.units_covered = c.units then cast(am.members as bigint) end as members,
        am.as_of
    from coverage as c
    inner join area_members as am on am.area_code = c.area_code and am.age_group = c.age_group
),

totals as (
    select
        area_code,
        'total' as age_group,
        min(units) as units,
        min(units_covered) as units_covered,
        case when count(members) = 3 then cast(sum(members) as bigint) end as members,
        max(as_of) as as_of
    from by_group
    group by area_code
),

final as (
    select area_code, age_group, units, units_covered, members, as_of from by_group
    union all
    select area_code, age_group, units, units_covered, members, as_of from totals
)

select
    area_code,
    age_group,
    members,
    as_of,
    case
        when members is not null then 'complete'
        else 'partial: ' || cast(units_covered as varchar) || ' of ' || cast(units as varchar)
            || ' units'
    end as status
from final
