-- V1: the schema of release 0.1.0, statement for statement (it was applied then by 'hb schema' as schema/postgres.sql).
-- A database created by 0.1.0 has exactly these tables and is baselined at this version by 'hb schema'.
-- Never edit an applied migration: add the next version instead.
-- Output and catalog tables of ../shared/CONTRACT.md section 4, PostgreSQL flavour (local runs and tests).
CREATE TABLE IF NOT EXISTS watch_segments (
    user_id       text        NOT NULL,
    video_id      text        NOT NULL,
    segment_start timestamptz NOT NULL,
    session_start timestamptz NOT NULL,
    segment_end   timestamptz NOT NULL,
    start_pos_ms  bigint      NOT NULL,
    end_pos_ms    bigint      NOT NULL,
    heartbeats    bigint      NOT NULL,
    PRIMARY KEY (user_id, video_id, segment_start)
);

CREATE TABLE IF NOT EXISTS video_progress (
    user_id     text        NOT NULL,
    video_id    text        NOT NULL,
    position_ms bigint      NOT NULL,
    event_time  timestamptz NOT NULL,
    device_id   text,
    PRIMARY KEY (user_id, video_id)
);

CREATE TABLE IF NOT EXISTS content_watch_hourly (
    video_id    text        NOT NULL,
    hour        timestamptz NOT NULL,
    licensor_id text,
    watched_ms  bigint      NOT NULL,
    viewers     bigint      NOT NULL,
    PRIMARY KEY (video_id, hour)
);

CREATE TABLE IF NOT EXISTS ad_impressions_hourly (
    ad_id          text        NOT NULL,
    hour           timestamptz NOT NULL,
    impressions    bigint      NOT NULL,
    first_quartile bigint      NOT NULL,
    midpoint       bigint      NOT NULL,
    third_quartile bigint      NOT NULL,
    completes      bigint      NOT NULL,
    PRIMARY KEY (ad_id, hour)
);

CREATE TABLE IF NOT EXISTS videos (
    video_id    text PRIMARY KEY,
    licensor_id text,
    title       text,
    duration_ms bigint
);

CREATE TABLE IF NOT EXISTS ads (
    ad_id         text PRIMARY KEY,
    advertiser_id text,
    campaign_id   text,
    duration_ms   bigint
);
