-- claim_cell_values_new: the cells this run counted (int_claim_cells) of the blocks it stores,
-- as rows of claim_cell_values.
-- Grain: one row per block_key and cell.
-- Reads: int_claim_cells, claim_cache_periods (block_key, period_id of the blocks stored: an
-- Arrow input of claims_cache.py).

with

periods as (
    select block_key, period_id
    from claim_cache_periods
),

final as (
    select
        p.block_key, c.period_id, c.level_id, c.area_id, c.indicator_id, c.basis,
        c.age_group_id, c.unit, c.value
    from int_claim_cells as c
    inner join periods as p on p.period_id = c.period_id
)

select
    block_key, period_id, level_id, area_id, indicator_id, basis, age_group_id, unit, value
from final
