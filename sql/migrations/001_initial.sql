-- Warehouse schema, version 1: ingest log, rejects, facility notifications (bureau lists),
-- facility counts (wide tables), claim lines (KDB extracts), warehouse secret.
-- Grain of each table is stated above it. Codes are zero-padded strings, never integers.

create sequence if not exists ingest_id_seq start 1;

-- one row per ingested input file
create table if not exists ingest_log (
    ingest_id integer primary key default nextval('ingest_id_seq'),
    kind varchar not null,             -- facilities | facility_counts | claims
    file_name varchar not null,
    file_path varchar not null,
    sha256 varchar not null,
    as_of date,                        -- list date (facilities, counts); null for claims
    pref_codes varchar,                -- comma-separated prefectures the file covered
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_rejected bigint not null,
    ingested_at timestamp not null,
    zaitaku_version varchar not null,
    details varchar                    -- JSON summary shown to the analyst at ingest
);

-- one row per rejected input row, with the reason; claims rows never carry the raw person key
create table if not exists rejects (
    ingest_id integer not null,
    kind varchar not null,
    file_name varchar not null,
    row_number bigint,
    column_name varchar,
    reason varchar not null,
    value varchar,
    raw_row varchar
);

-- one row per facility x notification x list date (備考 duplicates collapsed)
create table if not exists facility_notifications (
    ingest_id integer not null,
    as_of date not null,
    source_row bigint not null,
    pref_code varchar not null,
    kubun varchar,
    facility_no varchar not null,      -- 医療機関番号, 7 digits, unique within a prefecture
    facility_code10 varchar not null,  -- 都道府県コード + 点数表 '1' (医科) + 医療機関番号
    facility_name varchar,
    postal_code varchar,
    address varchar,
    beds varchar,
    notification_name varchar,         -- 受理届出名称
    label_raw varchar not null,        -- 受理記号 as printed
    label varchar not null,            -- NFKC-normalised 受理記号
    juri_no varchar,                   -- 受理番号
    start_date date,                   -- 算定開始年月日
    start_date_raw varchar,
    remarks varchar,                   -- 備考（見出し）/（データ） pairs, JSON object
    withdrawn boolean not null,        -- 備考 says 取り下げ
    category varchar,                  -- zaitaku category; null = not a home-care notification
    kyoka_rate boolean,                -- paid at 機能強化型 rates (false for R8 支援診２イ)
    code5 varchar not null             -- base unit: municipality, 特別区 or 政令市 ward
);

-- one row per municipality x 受理記号 column of a wide count table
create table if not exists facility_counts (
    ingest_id integer not null,
    as_of date,
    pref_code varchar not null,
    code5 varchar not null,
    name_raw varchar not null,
    source_row bigint not null,
    label_raw varchar not null,
    label varchar not null,
    category varchar not null,
    facilities integer not null
);

-- one row per person of the claim lines: person_key is the HMAC-SHA256 (hex) of the trimmed
-- 被保険者番号, never the raw key; person_id is the compact number claim_lines carries, assigned
-- at ingest (the next free number, in person_key order within a file) and never changed
create table if not exists persons (
    person_key varchar primary key,
    person_id bigint not null unique
);

-- one row per claim line of a KDB-style extract; the person is persons.person_id
create table if not exists claim_lines (
    ingest_id integer not null,
    source_row bigint not null,
    service_month date not null,       -- first day of 診療年月
    insurer_no varchar,
    person_id bigint not null,         -- persons.person_id
    sex varchar,
    age smallint,
    residence_code5 varchar not null,
    inout varchar,
    facility_code10 varchar not null,
    act_code varchar not null,
    times integer not null
);

-- claim codes added from a newer 医科診療行為マスター (reference update-codes --apply)
create table if not exists claim_code_additions (
    code varchar primary key,
    kubun varchar,
    name varchar,
    indicator varchar not null,
    seen_in varchar,
    source varchar,
    added_at timestamp not null
);

-- per-warehouse secrets (HMAC key for person keys)
create table if not exists warehouse_secret (
    name varchar primary key,
    value blob not null
);

-- one row per aggregate/export run: the provenance manifest, also written beside the outputs
create table if not exists export_log (
    exported_at timestamp not null,
    level varchar not null,
    manifest varchar not null
);
