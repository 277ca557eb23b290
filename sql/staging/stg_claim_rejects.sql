-- stg_claim_rejects: why each refused line of a claims extract was refused.
-- Grain: one row per (line, failed check): a line failing three checks gives three rows. A line
-- with the wrong number of fields gets only that reason (its other failures follow from it).
-- Reads stg_claim_lines (checked lines), raw_claim_lines (their text) and claims_headers (the
-- file's header of each canonical column). Neither value nor raw_row ever holds the raw
-- 被保険者番号: raw_row carries its HMAC (person_key) in its place, value is null for it.
-- $expected_fields is the number of fields of the header line.

with

bad as (
    select
        line_no,
        person_key,
        fields_reason,
        decode_reason,
        person_reason,
        sex_reason,
        age_column,
        age_reason,
        residence_reason,
        month_column,
        month_reason,
        inout_reason,
        insurer_reason,
        facility_reason,
        act_reason,
        times_reason
    from stg_claim_lines
    where not is_valid
),

raw as (
    select
        line_no,
        n_fields,
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

failed as (
    select line_no, null as column_key, fields_reason as reason from bad
    where fields_reason is not null
    union all
    select line_no, null as column_key, decode_reason as reason from bad
    where decode_reason is not null and fields_reason is null
    union all
    select line_no, 'person_id' as column_key, person_reason as reason from bad
    where person_reason is not null and fields_reason is null
    union all
    select line_no, 'sex' as column_key, sex_reason as reason from bad
    where sex_reason is not null and fields_reason is null
    union all
    select line_no, age_column as column_key, age_reason as reason from bad
    where age_reason is not null and fields_reason is null
    union all
    select line_no, 'municipality_code' as column_key, residence_reason as reason from bad
    where residence_reason is not null and fields_reason is null
    union all
    select line_no, month_column as column_key, month_reason as reason from bad
    where month_reason is not null and fields_reason is null
    union all
    select line_no, 'inout' as column_key, inout_reason as reason from bad
    where inout_reason is not null and fields_reason is null
    union all
    select line_no, 'insurer_no' as column_key, insurer_reason as reason from bad
    where insurer_reason is not null and fields_reason is null
    union all
    select line_no, 'facility_code' as column_key, facility_reason as reason from bad
    where facility_reason is not null and fields_reason is null
    union all
    select line_no, 'procedure_code' as column_key, act_reason as reason from bad
    where act_reason is not null and fields_reason is null
    union all
    select line_no, 'times' as column_key, times_reason as reason from bad
    where times_reason is not null and fields_reason is null
),

final as (
    select
        f.line_no,
        f.column_key,
        h.header as column_name,
        f.reason,
        case
            when f.column_key is null and f.reason = 'wrong number of fields'
                then cast(r.n_fields as varchar) || ' fields, the header has '
                    || cast($expected_fields as varchar)
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
