-- stg_claim_persons: the persons of one KDB-style claims extract, each hashed once and numbered.
-- Grain: one row per distinct trimmed, non-empty 被保険者番号 of raw_claim_lines.
-- person_key = HMAC-SHA256(key, 被保険者番号) in hex (RFC 2104): $hmac_ipad and $hmac_opad are
-- the 64-byte key xor'ed with the inner and outer pads, bound at run time.
-- person_id is the person's number in the warehouse table `persons` (by person_key); a person
-- not there yet gets the next free number (is_new), in person_key order. ingest_claims adds the
-- new persons of the valid lines to `persons` when it loads the file.
-- raw_person_id (the raw 被保険者番号) lives only in this temp table, which ingest_claims drops;
-- stg_claim_lines and stg_claim_rejects carry person_id / person_key only.

with

person_ids as (
    select distinct trim(person_id) as raw_person_id
    from raw_claim_lines
    where trim(person_id) <> ''
),

hashed as (
    select
        raw_person_id,
        sha256($hmac_opad || unhex(sha256($hmac_ipad || encode(raw_person_id)))) as person_key
    from person_ids
),

known as (
    select h.raw_person_id, h.person_key, p.person_id
    from hashed as h
    left join persons as p on p.person_key = h.person_key
),

last_id as (
    select coalesce(max(person_id), 0) as last_id
    from persons
)

select
    k.raw_person_id,
    k.person_key,
    coalesce(
        k.person_id,
        l.last_id + row_number() over (partition by k.person_id is null order by k.person_key)
    ) as person_id,
    k.person_id is null as is_new
from known as k
cross join last_id as l
