-- Warehouse schema, version 6: population tables and insurance enrolment ingested by the analyst.
-- Both are kept per ingest; which snapshot is in use is decided when reading
-- (sql/staging/stg_population_units.sql, stg_enrolment_by_area.sql): per prefecture the newest
-- as_of wins. ingest_log kinds: population | enrolment.

-- one row per unit of a 住基-shaped population table (`zaitaku ingest population`), the same
-- columns as the packaged reference/data/population.csv; the ingest checked every row (codes,
-- non-negative integers, bands adding up to totals) and that each prefecture is complete
create table if not exists population_tables (
    ingest_id integer not null,
    source_row bigint not null,        -- line in the file (header = 1)
    code6 varchar,
    code5 varchar not null,
    pref_code varchar not null,
    name varchar,
    kind varchar not null,             -- 都道府県 | 政令市 | 区 | 市 | 町 | 村 | 特別区
    as_of date not null,
    source varchar,
    total bigint not null,
    male bigint not null,
    female bigint not null,
    a00_04 bigint not null, a05_09 bigint not null, a10_14 bigint not null,
    a15_19 bigint not null, a20_24 bigint not null, a25_29 bigint not null,
    a30_34 bigint not null, a35_39 bigint not null, a40_44 bigint not null,
    a45_49 bigint not null, a50_54 bigint not null, a55_59 bigint not null,
    a60_64 bigint not null, a65_69 bigint not null, a70_74 bigint not null,
    a75_79 bigint not null, a80_84 bigint not null, a85_89 bigint not null,
    a90_94 bigint not null, a95_99 bigint not null, a100p bigint not null,
    band_gap bigint not null,          -- total - sum of the bands (residents in no band)
    age0_14 bigint not null,
    age15_64 bigint not null,
    age65p bigint not null,
    age75p bigint not null
);

-- one row per municipality (or 政令市 ward) x scheme x age group of the analyst's enrolment
-- table (`zaitaku ingest enrolment`): members of 国保 and 後期高齢者医療 living there, the
-- people KDB covers, so that rates under 75 need not use the whole resident population
create table if not exists enrolment (
    ingest_id integer not null,
    source_row bigint not null,        -- line in the file (header = 1)
    as_of date not null,
    pref_code varchar not null,
    code5 varchar not null,            -- municipality, 特別区, 政令市 (city) or its ward
    scheme varchar not null,           -- 国保 | 後期 | 国保+後期 (the file gave no scheme)
    age_group varchar not null,        -- under65 | 65to74 | 75plus
    members bigint not null
);
