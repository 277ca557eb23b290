-- claim_persons_new: the persons of the claims extract being ingested that `persons` does not hold
-- yet, with the number stg_claim_persons gave them (ingest_claims adds them to `persons`), when
-- every checked line was loaded: then every person of the file has a line in claim_lines.
-- Grain: one row per new person key.
-- Reads: stg_claim_persons.

with

persons as (
    select person_key, person_id, is_new
    from stg_claim_persons
),

final as (
    select person_key, person_id
    from persons
    where is_new
)

select person_key, person_id from final
