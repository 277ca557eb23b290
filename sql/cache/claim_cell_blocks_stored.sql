-- claim_cell_blocks_stored: which of the blocks asked for the warehouse keeps, and whether with
-- the suppression pattern of $min_facilities (-1: no pattern asked).
-- Grain: one row per stored block among claim_cache_keys.
-- Parameters: $min_facilities.
-- Reads: claim_cache_keys (the block keys, an Arrow input of claims_cache.py), claim_cell_blocks,
-- claim_cell_patterns.

with

keys as (
    select block_key
    from claim_cache_keys
),

patterns as (
    select block_key
    from claim_cell_patterns
    where min_facilities = $min_facilities
),

final as (
    select b.block_key, p.block_key is not null as has_pattern
    from claim_cell_blocks as b
    inner join keys as k on k.block_key = b.block_key
    left join patterns as p on p.block_key = b.block_key
)

select block_key, has_pattern from final
