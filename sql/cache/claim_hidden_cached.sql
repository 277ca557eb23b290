-- claim_hidden_cached: the stored suppression pattern of $min_facilities of the blocks of
-- claim_cache_keys, in the shape of claims_hidden.
-- Grain: one row per hidden (period_id, level_id, area_id, indicator_id, basis, age_group_id,
-- unit).
-- Parameters: $min_facilities.
-- Reads: claim_cache_keys (an Arrow input), claim_cell_hidden.

with

keys as (
    select block_key
    from claim_cache_keys
),

final as (
    select
        h.period_id, h.level_id, h.area_id, h.indicator_id, h.basis, h.age_group_id, h.unit
    from claim_cell_hidden as h
    inner join keys as k on k.block_key = h.block_key
    where h.min_facilities = $min_facilities
)

select period_id, level_id, area_id, indicator_id, basis, age_group_id, unit from final
