-- stg_facility_notifications: the notifications of one bureau-list file, categorised by list date.
-- Grain: one row per notification and file member, 備考 duplicates already collapsed by the
-- ingest: (source_file, pref_code, facility_no, label_raw, juri_no, start_date_raw). Rows whose
-- address matched no municipality are here too (code5 null): the ingest sends them to rejects.
-- category / tier / tier_group / kyoka_rate: the ref_juri_kigo row of the NFKC label that is
-- valid on the list date $as_of (valid_from <= $as_of <= valid_to, empty valid_to = still
-- valid), so a 受理記号 is read as it was meant on that date, legacy aliases included. If two
-- rows were valid at once, the one that started last wins.
-- is_known_label: some row of ref_juri_kigo is valid for the label on $as_of (在医総管2 is known
-- but has no category). is_home_care_label: the label starts with a home-care stem, i.e. a
-- ref_juri_kigo label without its trailing digits and ア/イ (支援診, 在医総管, 在緩診実, …):
-- a home-care label that is not known on $as_of is reported, never dropped.
-- Notification key: (pref_code, facility_no, label, juri_no, start_key) with start_key the
-- parsed 算定開始年月日 (its raw text when unparsable), so that two printings of one date match.
-- already_present: facility_notifications already holds the key for $as_of (another file of
-- the same list date loaded it). repeated_in_file: an earlier row of this file (another zip
-- member) has the key. The ingest inserts neither, so nothing is counted twice.
-- Reads: bureau_rows (registered by the ingest for this file), ref_juri_kigo,
-- facility_notifications.

with

file_rows as (
    select
        source_file, source_row, pref_code, kubun, facility_no, facility_code10, facility_name,
        postal_code, address, beds, notification_name, label_raw, label, juri_no,
        start_date, start_date_raw, remarks, withdrawn, code5,
        coalesce(cast(start_date as varchar), start_date_raw) as start_key
    from bureau_rows
),

juri_kigo as (
    select
        label, category, tier, tier_group, kyoka_rate,
        try_cast(valid_from as date) as valid_from,
        try_cast(valid_to as date) as valid_to
    from ref_juri_kigo
),

existing as (
    select distinct
        pref_code, facility_no, label, juri_no,
        coalesce(cast(start_date as varchar), start_date_raw) as start_key
    from facility_notifications
    where as_of = cast($as_of as date)
),

-- mappings valid on the list date; the latest-starting one first
valid_mappings as (
    select
        label, category, tier, tier_group, kyoka_rate,
        row_number() over (partition by label order by valid_from desc) as pick
    from juri_kigo
    where valid_from <= cast($as_of as date)
        and cast($as_of as date) <= coalesce(valid_to, cast('9999-12-31' as date))
),

stems as (
    select distinct regexp_replace(label, '[0-9アイ]+$', '') as stem
    from juri_kigo
),

keyed_rows as (
    select
        source_file, source_row, pref_code, kubun, facility_no, facility_code10, facility_name,
        postal_code, address, beds, notification_name, label_raw, label, juri_no,
        start_date, start_date_raw, remarks, withdrawn, code5, start_key,
        row_number() over (
            partition by pref_code, facility_no, label, juri_no, start_key
            order by source_file, source_row
        ) as key_rank
    from file_rows
),

file_labels as (
    select distinct label from file_rows
),

home_care_labels as (
    select distinct l.label
    from file_labels as l
    inner join stems as s on substr(l.label, 1, length(s.stem)) = s.stem
),

label_info as (
    select
        l.label,
        m.category,
        try_cast(m.tier as integer) as tier,
        m.tier_group,
        try_cast(m.kyoka_rate as boolean) as kyoka_rate,
        m.label is not null as is_known_label,
        h.label is not null as is_home_care_label
    from file_labels as l
    left join valid_mappings as m on m.label = l.label and m.pick = 1
    left join home_care_labels as h on h.label = l.label
),

final as (
    select
        r.source_row, r.pref_code, r.kubun, r.facility_no, r.facility_code10, r.facility_name,
        r.postal_code, r.address, r.beds, r.notification_name, r.label_raw, r.label, r.juri_no,
        r.start_date, r.start_date_raw, r.remarks, r.withdrawn, r.code5,
        i.category, i.tier, i.tier_group, i.kyoka_rate, i.is_known_label, i.is_home_care_label,
        e.facility_no is not null as already_present,
        r.key_rank > 1 as repeated_in_file
    from keyed_rows as r
    inner join label_info as i on i.label = r.label
    left join existing as e
        on e.pref_code = r.pref_code
        and e.facility_no = r.facility_no
        and e.label = r.label
        and e.juri_no is not distinct from r.juri_no
        and e.start_key is not distinct from r.start_key
)

select
    source_row, pref_code, kubun, facility_no, facility_code10, facility_name, postal_code,
    address, beds, notification_name, label_raw, label, juri_no, start_date, start_date_raw,
    remarks, withdrawn, code5, category, tier, tier_group, kyoka_rate, is_known_label,
    is_home_care_label, already_present, repeated_in_file
from final
