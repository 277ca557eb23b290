-- int_claim_residences: the base unit of each residence code (市町村コード) of the claim lines.
-- Grain: one row per distinct residence_code5 of claim_lines. A code the reference does not
-- know (the ingest validates codes, so this is a safety net) goes to the unknown unit of the
-- prefecture of its first two digits, or of '00'.
-- Reads: claim_lines, int_claim_units.

with

codes as (
    select distinct residence_code5
    from claim_lines
),

known as (
    select unit_id, unit_code5
    from int_claim_units
    where not is_unknown
),

unknown as (
    select unit_id, pref_code
    from int_claim_units
    where is_unknown
),

final as (
    select
        c.residence_code5,
        coalesce(k.unit_id, u.unit_id, u0.unit_id) as unit_id
    from codes as c
    left join known as k on k.unit_code5 = c.residence_code5
    left join unknown as u on u.pref_code = substr(c.residence_code5, 1, 2)
    left join unknown as u0 on u0.pref_code = '00'
)

select residence_code5, unit_id from final
