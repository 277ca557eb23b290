-- projection_areas_not_exact: how many areas of the level have a 社人研 projection that is not
-- their own (missing, or estimated from other units), for the population outputs' metadata.
-- Grain: one row, one column.
-- Reads: stg_projection_by_area.

with

areas as (
    select area_code, status from stg_projection_by_area
),

final as (
    select count(distinct area_code) as areas
    from areas
    where status <> 'exact'
)

select areas from final
