-- stg_claim_persons: the persons of one KDB-style claims extract, numbered.
-- Grain: one row per distinct non-empty person key of raw_claim_lines.
-- raw_claim_lines.person_id already holds the person key, HMAC-SHA256 of the trimmed
-- 被保険者番号 in hex: the reader's workers hash it as they parse (stg_person_keys), so that the
-- raw number never reaches the Parquet parts, DuckDB's spill or any table.
-- person_id is the person's number in the warehouse table `persons` (by person_key); a person
-- not there yet gets the next free number (is_new), in person_key order. ingest_claims adds the
-- new persons of the valid lines to `persons` when it loads the file.

with

person_keys as (
    select distinct trim(person_id) as person_key
    from raw_claim_lines
    where trim(person_id) <> ''
),

known as (
    select h.person_key, p.person_id
    from person_keys as h
    left join persons as p on p.person_key = h.person_key
),

last_id as (
    select coalesce(max(person_id), 0) as last_id
    from persons
)

select
    k.person_key,
    coalesce(
        k.person_id,
        l.last_id + row_number() over (partition by k.person_id is null order by k.person_key)
    ) as person_id,
    k.person_id is null as is_new
from known as k
cross join last_id as l
