-- stg_claim_rejects: why each refused line of a claims extract was refused.
-- Grain: one row per (line, failed check): a line failing three checks gives three rows.
-- Reads stg_claim_lines (checked lines; `problems` lists each failure as "column_key␟reason",
-- entries joined by ␞ = chr(31), chr(30)), raw_claim_lines (each field's shape, the row's shape)
-- and claims_headers (the file's header of each canonical column).
-- No value of the file is kept, only shapes (digits '#', ASCII letters 'a', other characters
-- '*': see readers/claims_parsing.py `shape`): a value in the wrong column may be someone's
-- 被保険者番号, and no text can be proved not to be one. value is the failing field's shape;
-- raw_row the row's fields shaped, 被保険者番号 as '*' (neither the key, nor its HMAC, nor its
-- shape). An empty field's shape is '' (a missing value stays visible as such).

with

bad as (
    select line_no, problems
    from stg_claim_lines
    where problems is not null
),

raw as (
    select
        line_no,
        raw_shape,
        insurer_no_shape,
        sex_shape,
        age_shape,
        birth_date_shape,
        municipality_code_shape,
        service_month_shape,
        era_shape,
        inout_shape,
        facility_code_shape,
        procedure_code_shape,
        times_shape
    from raw_claim_lines
),

headers as (
    select column_key, header
    from claims_headers
),

-- a line has at most 11 entries (one per check)
positions as (
    select k
    from (
        values (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12)
    ) as p (k)
),

entries as (
    select
        b.line_no,
        split_part(b.problems, chr(30), p.k) as entry
    from bad as b
    cross join positions as p
),

failed as (
    select
        line_no,
        nullif(split_part(entry, chr(31), 1), '') as column_key,
        split_part(entry, chr(31), 2) as reason
    from entries
    where entry <> ''
),

final as (
    select
        f.line_no,
        f.column_key,
        h.header as column_name,
        f.reason,
        case
            when f.column_key = 'insurer_no' then r.insurer_no_shape
            when f.column_key = 'sex' then r.sex_shape
            when f.column_key = 'age' then r.age_shape
            when f.column_key = 'birth_date' then r.birth_date_shape
            when f.column_key = 'age_or_birth_date'
                then coalesce(r.birth_date_shape, r.age_shape)
            when f.column_key = 'municipality_code' then r.municipality_code_shape
            when f.column_key = 'service_month' then r.service_month_shape
            when f.column_key = 'era' then r.era_shape
            when f.column_key = 'inout' then r.inout_shape
            when f.column_key = 'facility_code' then r.facility_code_shape
            when f.column_key = 'procedure_code' then r.procedure_code_shape
            when f.column_key = 'times' then r.times_shape
        end as value,
        r.raw_shape as raw_row
    from failed as f
    inner join bad as b on b.line_no = f.line_no
    inner join raw as r on r.line_no = f.line_no
    left join headers as h on h.column_key = f.column_key
)

select line_no, column_key, column_name, reason, value, raw_row
from final
