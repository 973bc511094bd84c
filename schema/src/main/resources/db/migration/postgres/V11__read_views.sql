-- V11: views for the people who read the tables (issue 17; each read, its query and its plan: schema/README.md,
-- "Reading the results"). Plain views, no stored copies: each is a lookup of the indexes of V10 once the reader's
-- filter (a user, a licensor, an advertiser, a time range) is pushed into it, so the jobs write nothing extra.
-- The same statements in both flavours (a test keeps them equal).

-- A user's videos with their resume point, for "continue watching" (newest first: ORDER BY event_time DESC). The
-- title and duration are scalar subqueries rather than a join: a point read of videos per row returned, whatever
-- plan the catalog's size would otherwise suggest (a join may hash the whole catalog).
CREATE VIEW continue_watching AS
SELECT p.user_id, p.video_id,
       (SELECT v.title FROM videos v WHERE v.video_id = p.video_id) AS title,
       (SELECT v.duration_ms FROM videos v WHERE v.video_id = p.video_id) AS duration_ms,
       p.position_ms, p.event_time, p.device_id
FROM video_progress p;

-- A user's watch history: the segments of the user's videos, with the video's title (a point read per row returned).
CREATE VIEW watch_history AS
SELECT s.user_id, s.video_id, (SELECT v.title FROM videos v WHERE v.video_id = s.video_id) AS title,
       s.session_start, s.segment_start, s.segment_end, s.start_pos_ms, s.end_pos_ms, s.end_pos_ms - s.start_pos_ms AS watched_ms
FROM watch_segments s;

-- Royalties: watched time per licensor and video per UTC day. viewer_hours adds up each hour's distinct viewers (a
-- viewer who watched in three hours of the day counts three times). A NULL licensor_id is watch time of a video the
-- catalog did not know when it was written, until hb catalog re-attributes it.
CREATE VIEW royalties_daily AS
SELECT licensor_id, video_id, (hour AT TIME ZONE 'UTC')::date AS day,
       sum(watched_ms)::bigint AS watched_ms, sum(viewers)::bigint AS viewer_hours
FROM content_watch_hourly
GROUP BY licensor_id, video_id, (hour AT TIME ZONE 'UTC')::date;

-- Royalties per licensor and video per UTC calendar month (month = its first day).
CREATE VIEW royalties_monthly AS
SELECT licensor_id, video_id, date_trunc('month', hour AT TIME ZONE 'UTC')::date AS month,
       sum(watched_ms)::bigint AS watched_ms, sum(viewers)::bigint AS viewer_hours
FROM content_watch_hourly
GROUP BY licensor_id, video_id, date_trunc('month', hour AT TIME ZONE 'UTC')::date;

-- Ad delivery per advertiser and campaign per hour; completion_rate = completes / impressions (NULL without
-- impressions). Ads missing from the catalog have NULL advertiser and campaign.
CREATE VIEW ad_delivery_hourly AS
SELECT a.advertiser_id, a.campaign_id, h.hour,
       sum(h.impressions)::bigint AS impressions, sum(h.first_quartile)::bigint AS first_quartile,
       sum(h.midpoint)::bigint AS midpoint, sum(h.third_quartile)::bigint AS third_quartile,
       sum(h.completes)::bigint AS completes,
       round(sum(h.completes)::numeric / NULLIF(sum(h.impressions), 0), 4) AS completion_rate
FROM ad_impressions_hourly h
LEFT JOIN ads a ON a.ad_id = h.ad_id
GROUP BY a.advertiser_id, a.campaign_id, h.hour;

-- The same per UTC day.
CREATE VIEW ad_delivery_daily AS
SELECT a.advertiser_id, a.campaign_id, (h.hour AT TIME ZONE 'UTC')::date AS day,
       sum(h.impressions)::bigint AS impressions, sum(h.first_quartile)::bigint AS first_quartile,
       sum(h.midpoint)::bigint AS midpoint, sum(h.third_quartile)::bigint AS third_quartile,
       sum(h.completes)::bigint AS completes,
       round(sum(h.completes)::numeric / NULLIF(sum(h.impressions), 0), 4) AS completion_rate
FROM ad_impressions_hourly h
LEFT JOIN ads a ON a.ad_id = h.ad_id
GROUP BY a.advertiser_id, a.campaign_id, (h.hour AT TIME ZONE 'UTC')::date;

-- Who may read the views: every role (other than superusers and the owner) that may already read all of a view's
-- tables. A view reads its tables with its owner's rights, so this gives nobody data they could not read before; the
-- roles are whatever earlier migrations or an administrator created (none is named here). A role created later needs
-- its own GRANT SELECT on the views.
DO $$
DECLARE
    v record;
    r record;
BEGIN
    FOR v IN SELECT * FROM (VALUES
            ('continue_watching', ARRAY['video_progress', 'videos']),
            ('watch_history', ARRAY['watch_segments', 'videos']),
            ('royalties_daily', ARRAY['content_watch_hourly']),
            ('royalties_monthly', ARRAY['content_watch_hourly']),
            ('ad_delivery_hourly', ARRAY['ad_impressions_hourly', 'ads']),
            ('ad_delivery_daily', ARRAY['ad_impressions_hourly', 'ads'])) AS t(view_name, base_tables) LOOP
        FOR r IN SELECT rolname FROM pg_roles
                 WHERE rolname !~ '^pg_' AND NOT rolsuper AND rolname <> current_user
                   AND (SELECT bool_and(has_table_privilege(pg_roles.oid, b, 'SELECT')) FROM unnest(v.base_tables) AS b) LOOP
            EXECUTE format('GRANT SELECT ON %I TO %I', v.view_name, r.rolname);
        END LOOP;
    END LOOP;
END
$$;
