-- population_snapshots: the 住基 population snapshots the population outputs use, for their
-- metadata (the newest as-of date per unit wins, packaged or ingested).
-- Grain: one row per (as_of, source), with the units taken from it, by date.
-- Reads: stg_population_units.

with

units as (
    select as_of, source from stg_population_units
),

final as (
    select as_of, source, count(*) as units
    from units
    group by as_of, source
)

select as_of, source, units
from final
order by as_of
