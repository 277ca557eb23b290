-- facility_notifications_facts: what the analyst is told about a bureau list being ingested, from
-- its staged rows: a narrow copy (no names, addresses or remarks) summarised in Python.
-- Grain: one row per staged row of the list (stg_facility_notifications), located or not.
-- Reads: stg_facility_notifications.

with

final as (
    select
        facility_code10,
        pref_code,
        label_raw,
        category,
        tier,
        tier_group,
        withdrawn,
        is_known_label,
        is_home_care_label,
        already_present,
        repeated_in_file,
        code5,
        code5 is not null as located
    from stg_facility_notifications
)

select
    facility_code10, pref_code, label_raw, category, tier, tier_group, withdrawn, is_known_label,
    is_home_care_label, already_present, repeated_in_file, code5, located
from final
