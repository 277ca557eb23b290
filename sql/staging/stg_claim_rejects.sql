-- stg_claim_rejects: why each refused line of a claims extract was refused.
-- Grain: one row per (line, failed check): a line failing three checks gives three rows.
-- Reads stg_claim_lines (checked lines; `problems` lists each failure as "column_key␟reason",
-- entries joined by ␞ = chr(31), chr(30)), raw_claim_lines (the lines' text) and claims_headers
-- (the file's header of each canonical column). Neither value nor raw_row ever holds the raw
-- 被保険者番号: raw_row carries its HMAC (person_key, from stg_claim_persons by person_id) in its
-- place, value is null for it.

with

bad as (
    select l.line_no, p.person_key, l.problems
    from stg_claim_lines as l
    left join stg_claim_persons as p on p.person_id = l.person_id
    where l.problems is not null
),

raw as (
    select
        line_no,
        raw_head,
        raw_tail,
        insurer_no,
        sex,
        age,
        birth_date,
        municipality_code,
        service_month,
        era,
        inout,
        facility_code,
        procedure_code,
        times
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
            when f.column_key = 'insurer_no' then r.insurer_no
            when f.column_key = 'sex' then r.sex
            when f.column_key = 'age' then r.age
            when f.column_key = 'birth_date' then r.birth_date
            when f.column_key = 'age_or_birth_date' then coalesce(r.birth_date, r.age)
            when f.column_key = 'municipality_code' then r.municipality_code
            when f.column_key = 'service_month' then r.service_month
            when f.column_key = 'era' then r.era
            when f.column_key = 'inout' then r.inout
            when f.column_key = 'facility_code' then r.facility_code
            when f.column_key = 'procedure_code' then r.procedure_code
            when f.column_key = 'times' then r.times
        end as value,
        r.raw_head || coalesce(b.person_key, '') || r.raw_tail as raw_row
    from failed as f
    inner join bad as b on b.line_no = f.line_no
    inner join raw as r on r.line_no = f.line_no
    left join headers as h on h.column_key = f.column_key
)

select line_no, column_key, column_name, reason, value, raw_row
from final
