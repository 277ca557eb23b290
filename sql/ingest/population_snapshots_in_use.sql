-- population_snapshots_in_use: the 住基 population tables in use per prefecture (the newest
-- as-of date of each unit wins, stg_population_units), so that loading an older table can say
-- that it is kept but not used.
-- Grain: one row per (prefecture, as-of date in use for some of its units), in that order.
-- Reads: stg_population_units.

with

units as (
    select pref_code, as_of
    from stg_population_units
),

final as (
    select distinct pref_code, as_of
    from units
)

select pref_code, as_of
from final
order by pref_code, as_of
