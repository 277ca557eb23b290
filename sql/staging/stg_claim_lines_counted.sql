-- stg_claim_lines_counted: how many claim lines the claims marts count, i.e. lines whose
-- 診療行為コード is in ref_claim_codes (the others belong to no indicator).
-- Grain: one row, one column (indicator_lines).
-- Reads claim_lines, ref_claim_codes.

with

codes as (
    select distinct code from ref_claim_codes
),

final as (
    select count(*) as indicator_lines
    from claim_lines as l
    inner join codes as c on c.code = l.act_code
)

select indicator_lines from final
