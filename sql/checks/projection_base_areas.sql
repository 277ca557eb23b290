-- projection_base_areas: the areas with claims (residence basis) in the projection's base period
-- $period, to check the areas a scenario file names.
-- Grain: one row per (area_code, area_name), by code.
-- Reads: projection_claims_input (the claims cells of the run). Parameters: $period.

with

cells as (
    select area_code, area_name, basis, period
    from projection_claims_input
),

final as (
    select distinct area_code, area_name
    from cells
    where basis = 'residence' and period = $period
)

select area_code, area_name
from final
order by area_code
