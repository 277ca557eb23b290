-- int_claim_units: the base units claim lines are placed in, with compact integer ids.
-- Grain: one row per unit: every code5 of stg_area_units (municipalities, 特別区, 政令市 wards,
-- 政令市 city codes — claims name a 政令市 by its city code — and abolished units), plus one
-- unknown unit per prefecture ('00' for a code whose first two digits are no prefecture) that
-- holds the residence codes no reference knows and the billing facilities no bureau list places.
-- Every output level (int_claim_unit_areas) is a partition of these units, so a cell of any level
-- is a sum of unit cells: the hierarchy the suppression pattern is computed over.
-- Reads: stg_area_units_8th (the unit list is the same for both plans), ref_municipalities.

with

codes as (
    select distinct unit_code5, pref_code
    from stg_area_units_8th
),

prefectures as (
    select pref_code
    from ref_municipalities
    where kind = '都道府県'
    union all
    select '00' as pref_code
),

all_units as (
    select unit_code5, pref_code, false as is_unknown
    from codes
    union all
    select cast(null as varchar) as unit_code5, pref_code, true as is_unknown
    from prefectures
),

final as (
    select
        row_number() over (order by pref_code, is_unknown, unit_code5) as unit_id,
        unit_code5,
        pref_code,
        is_unknown
    from all_units
)

select unit_id, unit_code5, pref_code, is_unknown from final
