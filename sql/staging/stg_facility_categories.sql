-- stg_facility_categories: the home-care categories each facility is counted under.
-- Grain: one row per (as_of, facility_code10, category) of the selected bureau-list snapshots.
-- Snapshot: the list date $as_of when given, else the latest list date of each prefecture.
-- Left out: withdrawn notifications (備考 取り下げ) and notifications that are not home care
-- (category null). A facility holding two 支援診 (or two 支援病) tiers at once is counted once,
-- at its highest tier: 単独型 (tier 1) > 連携型 (2) > 従来型 (3), per domain.md §2.

with

notifications as (
    select ingest_id, as_of, pref_code, facility_code10, code5, category
    from facility_notifications
    where not withdrawn and category is not null
),

snapshots as (
    select pref_code, max(as_of) as as_of
    from facility_notifications
    where cast($as_of as date) is null or as_of = cast($as_of as date)
    group by pref_code
),

category_tiers as (
    select category, min(tier_group) as tier_group, min(try_cast(tier as integer)) as tier
    from ref_juri_kigo
    where tier_group is not null
    group by category
),

selected as (
    select n.ingest_id, n.as_of, n.pref_code, n.facility_code10, n.code5, n.category,
        t.tier_group, t.tier
    from notifications as n
    inner join snapshots as s on s.pref_code = n.pref_code and s.as_of = n.as_of
    left join category_tiers as t on t.category = n.category
),

best_tiers as (
    select as_of, facility_code10, tier_group, min(tier) as best_tier
    from selected
    where tier_group is not null
    group by as_of, facility_code10, tier_group
),

final as (
    select distinct s.as_of, s.pref_code, s.facility_code10, s.code5, s.category, s.ingest_id
    from selected as s
    left join best_tiers as b
        on b.as_of = s.as_of
        and b.facility_code10 = s.facility_code10
        and b.tier_group = s.tier_group
    where s.tier_group is null or s.tier = b.best_tier
)

select as_of, pref_code, facility_code10, code5, category, ingest_id from final
