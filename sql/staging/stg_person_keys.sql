-- stg_person_keys: the keyed hash of each 被保険者番号 text a claims reader meets, computed in
-- the reader's worker so that the raw number is never written anywhere (parts, spill, tables).
-- Grain: one row per row of raw_person_ids (the distinct texts of one block of the extract),
-- in its order.
-- person_key = HMAC-SHA256(key, trimmed 被保険者番号) in hex (RFC 2104): $hmac_ipad and
-- $hmac_opad are the 64-byte key xor'ed with the inner and outer pads, bound at run time.
-- A text that is empty once trimmed is no number and stays as it was (the line's check finds
-- the 被保険者番号 missing). A text holding U+FFFD (bytes not valid in the file's encoding)
-- keeps that mark in front of its hash, so that its line is still rejected as undecodable.

with

person_ids as (
    select
        person_id,
        trim(person_id) as trimmed
    from raw_person_ids
),

hashed as (
    select
        person_id,
        trimmed,
        sha256($hmac_opad || unhex(sha256($hmac_ipad || encode(trimmed)))) as digest
    from person_ids
),

final as (
    select
        case
            when trimmed = '' then person_id
            when strpos(person_id, chr(65533)) > 0 then chr(65533) || digest
            else digest
        end as person_key
    from hashed
)

select person_key from final
