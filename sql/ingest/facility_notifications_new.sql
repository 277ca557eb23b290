-- facility_notifications_new: the rows of a bureau list being ingested that facility_notifications
-- gains under ingest $ingest_id, list date $as_of: located in a municipality, not already loaded
-- from an earlier list, and the first of their key in the file.
-- Grain: one row per new notification (facility × 受理記号 × 受理番号 × 算定開始日).
-- Reads: stg_facility_notifications. Parameters: $ingest_id, $as_of.

with

staged as (
    select
        source_row, pref_code, kubun, facility_no, facility_code10, facility_name, postal_code,
        address, beds, notification_name, label_raw, label, juri_no, start_date, start_date_raw,
        remarks, withdrawn, category, kyoka_rate, code5, already_present, repeated_in_file
    from stg_facility_notifications
),

final as (
    select
        $ingest_id as ingest_id,
        $as_of as as_of,
        source_row, pref_code, kubun, facility_no, facility_code10, facility_name, postal_code,
        address, beds, notification_name, label_raw, label, juri_no, start_date, start_date_raw,
        remarks, withdrawn, category, kyoka_rate, code5
    from staged
    where code5 is not null
        and not already_present
        and not repeated_in_file
)

select
    ingest_id, as_of, source_row, pref_code, kubun, facility_no, facility_code10, facility_name,
    postal_code, address, beds, notification_name, label_raw, label, juri_no, start_date,
    start_date_raw, remarks, withdrawn, category, kyoka_rate, code5
from final
