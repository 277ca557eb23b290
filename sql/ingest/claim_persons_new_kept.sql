-- claim_persons_new_kept: the persons of the claims extract being ingested that `persons` does not
-- hold yet and that a loaded line of ingest $ingest_id refers to (ingest_claims adds them to
-- `persons`), when some lines were rejected: a person only on rejected lines is not kept.
-- Grain: one row per new person key with a loaded line.
-- Reads: stg_claim_persons, claim_lines. Parameters: $ingest_id.

with

persons as (
    select person_key, person_id, is_new
    from stg_claim_persons
),

loaded as (
    select person_id
    from claim_lines
    where ingest_id = $ingest_id
),

final as (
    select person_key, person_id
    from persons
    where is_new
        and person_id in (select person_id from loaded)
)

select person_key, person_id from final
