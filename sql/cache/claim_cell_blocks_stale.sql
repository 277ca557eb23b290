-- claim_cell_blocks_stale: the stored blocks of $period that are no longer current (another
-- digest for the same fiscal year, or a fiscal year without lines now): claims_cache.py drops
-- them with the blocks it stores.
-- Grain: one row per block_key.
-- Parameters: $period.
-- Reads: claim_cell_blocks, claim_cache_keys (the current blocks, an Arrow input).

with

current_keys as (
    select block_key
    from claim_cache_keys
),

final as (
    select b.block_key
    from claim_cell_blocks as b
    left join current_keys as k on k.block_key = b.block_key
    where b.period = $period and k.block_key is null
)

select block_key from final
