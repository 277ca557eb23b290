-- claim_cells_cached: the stored claims cells of the blocks of claim_cache_keys, in the shape
-- of int_claim_cells (claims_cache.py reads them instead of counting those fiscal years).
-- Grain: one row per (period_id, level_id, area_id, indicator_id, basis, age_group_id, unit).
-- Reads: claim_cache_keys (an Arrow input), claim_cell_values.

with

keys as (
    select block_key
    from claim_cache_keys
),

final as (
    select
        v.period_id, v.level_id, v.area_id, v.indicator_id, v.basis, v.age_group_id, v.unit,
        v.value
    from claim_cell_values as v
    inner join keys as k on k.block_key = v.block_key
)

select period_id, level_id, area_id, indicator_id, basis, age_group_id, unit, value from final
