-- Warehouse schema, version 7: the two inputs a prefecture collects itself.
-- survey_responses: its facility survey (`zaitaku ingest survey`, seed 002 (3)②), one row per
--   facility that answered and was found in the bureau lists; rows that matched no facility are
--   in `rejects` with the reason. Which survey is in use is decided when reading
--   (sql/staging/stg_survey_responses.sql): per prefecture the newest as_of wins.
-- hub_areas: its 在宅医療に必要な連携を担う拠点 (`zaitaku ingest hubs`, seed 004 参考1), one row
--   per hub × municipality of its 事業区域. A new list of a prefecture replaces the previous one
--   at ingest.
-- ingest_log kinds: survey | hubs.

-- one row per facility of one survey file (a facility answers once per survey date: a later
-- file of the same date replaces its earlier answer)
create table if not exists survey_responses (
    ingest_id integer not null,
    source_row bigint not null,        -- row in the file as the analyst counts it (CSV line, Excel row)
    as_of date not null,               -- 調査時点 (the column, or --as-of)
    pref_code varchar not null,
    facility_code10 varchar not null,  -- the facility of the bureau lists the row matched
    code5 varchar not null,            -- its base unit in the list it matched (municipality, 特別区, ward)
    matched_by varchar not null,       -- code (医療機関コード) | name_address (名称 + 所在地)
    name_given varchar,                -- 医療機関名 as the survey wrote it
    address_given varchar,             -- 所在地 as the survey wrote it
    capacity bigint,                   -- 訪問診療の実施可能件数 as answered; null = not answered
    intention varchar,                 -- 参入意向, canonical: 新規参入 | 拡大 | 維持 | 縮小 | 予定なし | 未定
    intention_raw varchar              -- 参入意向 as written
);

-- one row per hub × municipality (or 政令市 ward) of its 事業区域
create table if not exists hub_areas (
    ingest_id integer not null,
    source_row bigint not null,
    as_of date,                        -- 基準日 of the list when given
    pref_code varchar not null,
    hub_name varchar not null,         -- 名称
    operator varchar,                  -- 運営主体
    code5 varchar not null,            -- municipality, 特別区, 政令市 (whole city) or ward
    name_given varchar not null,       -- the name as written in 事業区域
    note varchar                       -- 備考, and any remark written beside the name
);
