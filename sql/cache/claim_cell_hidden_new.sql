-- claim_cell_hidden_new: the pattern this run computed (claims_hidden) of the blocks it stores,
-- for $min_facilities, as rows of claim_cell_hidden.
-- Grain: one row per block_key and hidden cell.
-- Parameters: $min_facilities.
-- Reads: claims_hidden, claim_cache_periods (block_key, period_id: an Arrow input).

with

periods as (
    select block_key, period_id
    from claim_cache_periods
),

final as (
    select
        p.block_key, cast($min_facilities as integer) as min_facilities, h.period_id,
        h.level_id, h.area_id, h.indicator_id, h.basis, h.age_group_id, h.unit
    from claims_hidden as h
    inner join periods as p on p.period_id = h.period_id
)

select
    block_key, min_facilities, period_id, level_id, area_id, indicator_id, basis, age_group_id,
    unit
from final
