-- population_by_area: the population of every area at level $level, as published next to the
-- rates: the 住基 table in use (packaged 2025-01-01 or a newer ingested one) and the 社人研 2023
-- projection for 2020–2050.
-- Grain: one row per (area_code, source, year, kind). year is the projection year (null for
-- 住基, whose date is as_of). kind: population, under65, age65to74, age65p, age75p.
-- status: 'exact', 'estimated: how', or 'missing: why' with value null (never 0 for unknown).
-- Reads: stg_population_by_area, stg_projection_by_area (both materialised for $level).
-- Parameters: $level.

with

juki as (
    select
        area_code, area_name, source, as_of, cast(null as integer) as year,
        kind, kind_order, value, status
    from stg_population_by_area
),

projection as (
    select area_code, area_name, source, as_of, year, kind, kind_order, value, status
    from stg_projection_by_area
),

final as (
    select area_code, area_name, source, as_of, year, kind, kind_order, value, status
    from juki
    union all
    select area_code, area_name, source, as_of, year, kind, kind_order, value, status
    from projection
)

select
    $level as area_level,
    area_code,
    area_name,
    source,
    as_of,
    year,
    kind,
    value,
    status
from final
order by area_code, year nulls first, kind_order
