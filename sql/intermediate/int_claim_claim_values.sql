-- int_claim_claim_values: レセプト件数 (claims) and 算定回数 (count) per base unit, as a long table.
-- Grain: one row per (unit, basis, period_id, indicator_id, unit_id, age_group_id[, entity_id]).
--   entity_id null: an additive value of the unit's cell; age_group_id 0 is the total. Single
--     claims (one residence unit, one age group) count 1 in their unit's cell of their age group
--     and of the total, and 算定回数 is additive for every claim, so these add up to any level.
--   entity_id = claim_id: a claim whose lines disagree is present in that unit and age group; the
--     cells count it once per cell (int_claim_presence), never once per piece.
-- Reads: int_claim_grain, int_claim_multi_pieces.

with

single_claims as (
    select period_id, indicator_id, res_unit_first as res_unit_id, fac_unit_id,
        age_first as age_group_id, times
    from int_claim_grain
    where res_unit_first = res_unit_last and age_first = age_last
),

multi_pieces as (
    select claim_id, period_id, indicator_id, res_unit_id, fac_unit_id, age_group_id, times
    from int_claim_multi_pieces
),

pieces as (
    select period_id, indicator_id, res_unit_id, fac_unit_id, age_group_id, 1 as claims, times
    from single_claims
    union all
    select period_id, indicator_id, res_unit_id, fac_unit_id, age_group_id, 0 as claims, times
    from multi_pieces
),

sums as (
    select
        period_id,
        indicator_id,
        res_unit_id,
        fac_unit_id,
        age_group_id,
        grouping(res_unit_id) as by_facility,
        grouping(age_group_id) as is_total,
        sum(claims) as claims,
        sum(times) as times
    from pieces
    group by grouping sets (
        (period_id, indicator_id, res_unit_id, age_group_id),
        (period_id, indicator_id, res_unit_id),
        (period_id, indicator_id, fac_unit_id, age_group_id),
        (period_id, indicator_id, fac_unit_id)
    )
),

labelled as (
    select
        case when by_facility = 1 then 'facility' else 'residence' end as basis,
        period_id,
        indicator_id,
        case when by_facility = 1 then fac_unit_id else res_unit_id end as unit_id,
        case when is_total = 1 then 0 else age_group_id end as age_group_id,
        claims,
        times
    from sums
),

final as (
    select 'claims' as unit, basis, period_id, indicator_id, unit_id, age_group_id,
        cast(null as bigint) as entity_id, cast(claims as bigint) as value
    from labelled
    where claims > 0
    union all
    select 'count' as unit, basis, period_id, indicator_id, unit_id, age_group_id,
        cast(null as bigint) as entity_id, cast(times as bigint) as value
    from labelled
    union all
    select 'claims' as unit, 'residence' as basis, period_id, indicator_id,
        res_unit_id as unit_id, age_group_id, claim_id as entity_id, cast(1 as bigint) as value
    from multi_pieces
    group by period_id, indicator_id, res_unit_id, age_group_id, claim_id
    union all
    select 'claims' as unit, 'facility' as basis, period_id, indicator_id,
        fac_unit_id as unit_id, age_group_id, claim_id as entity_id, cast(1 as bigint) as value
    from multi_pieces
    group by period_id, indicator_id, fac_unit_id, age_group_id, claim_id
)

select unit, basis, period_id, indicator_id, unit_id, age_group_id, entity_id, value from final
