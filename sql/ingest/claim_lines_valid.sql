-- claim_lines_valid: the lines of the claims extract being ingested that pass every check, as
-- claim_lines stores them under ingest $ingest_id (ingest_claims inserts them).
-- Grain: one row per valid line; source_row is its line in the file.
-- Reads: stg_claim_lines (a view: the checks run as the rows stream into claim_lines).
-- Parameters: $ingest_id.

with

final as (
    select
        $ingest_id as ingest_id,
        line_no as source_row,
        service_month,
        insurer_no,
        person_id,
        sex,
        age,
        residence_code5,
        inout,
        facility_code10,
        act_code,
        times
    from stg_claim_lines
    where is_valid
)

select
    ingest_id, source_row, service_month, insurer_no, person_id, sex, age, residence_code5,
    inout, facility_code10, act_code, times
from final
