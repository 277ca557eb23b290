-- int_claim_kinds: the (unit, basis) pair of each kind_id of int_claim_entities.
-- Grain: one row per kind_id (6).
-- Reads: nothing.

with

final as (
    select 1 as kind_id, 'patients' as unit, 'residence' as basis
    union all
    select 2 as kind_id, 'patients' as unit, 'facility' as basis
    union all
    select 3 as kind_id, 'claims' as unit, 'residence' as basis
    union all
    select 4 as kind_id, 'claims' as unit, 'facility' as basis
    union all
    select 5 as kind_id, 'facilities' as unit, 'residence' as basis
    union all
    select 6 as kind_id, 'facilities' as unit, 'facility' as basis
)

select kind_id, unit, basis from final
