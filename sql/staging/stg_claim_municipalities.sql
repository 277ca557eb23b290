-- stg_claim_municipalities: each distinct 市町村コード of a claims extract, read and checked.
-- Grain: one row per distinct trimmed 市町村コード of raw_claim_lines ('' when empty). code5 is
-- the 5-digit code (a 6-digit code's check digit validated); reason says why the code is
-- refused (null = fine).
-- Reads raw_claim_lines and ref_municipalities.
-- Patterns are anchored (^…$) regexp_matches, which transpiles to Spark's rlike.

with

residences as (
    -- 政令市 city codes (04100) are valid residence codes: 国保 is run by the city
    select code5
    from ref_municipalities
    where kind <> '都道府県'
),

municipality_values as (
    select distinct coalesce(trim(municipality_code), '') as municipality_code
    from raw_claim_lines
),

municipality_texts as (
    select
        municipality_code,
        translate(municipality_code, '０１２３４５６７８９', '0123456789') as c
    from municipality_values
),

municipality_parts as (
    select
        municipality_code,
        c,
        case when regexp_matches(c, '^[0-9]{5,6}$') then substr(c, 1, 5) end as code5,
        -- 全国地方公共団体コード check digit: weights 6,5,4,3,2; (11 - sum mod 11) mod 10
        case
            when regexp_matches(c, '^[0-9]{6}$') then (
                11 - (
                    6 * cast(substr(c, 1, 1) as integer)
                    + 5 * cast(substr(c, 2, 1) as integer)
                    + 4 * cast(substr(c, 3, 1) as integer)
                    + 3 * cast(substr(c, 4, 1) as integer)
                    + 2 * cast(substr(c, 5, 1) as integer)
                ) % 11
            ) % 10
        end as expected_check_digit
    from municipality_texts
),

municipality_checked as (
    select
        p.municipality_code,
        p.code5,
        case
            when p.municipality_code = '' then '市町村コード: missing'
            when p.code5 is null then '市町村コード: not 5 or 6 digits'
            when length(p.c) = 6 and cast(substr(p.c, 6, 1) as integer) <> p.expected_check_digit
                then '市町村コード: check digit does not match (a 6-digit code ends with its check digit)'
            when r.code5 is null then '市町村コード: not in the municipality list'
        end as reason
    from municipality_parts as p
    left join residences as r on r.code5 = p.code5
)

select municipality_code, code5, reason
from municipality_checked
