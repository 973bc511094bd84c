-- V10: indexes for the people who read the tables (issue 17; "Reading the results" in schema/README.md).
-- The tables are hash-sharded on the columns the jobs write by ((user_id, video_id), video_id, ad_id); a read by
-- anything else would visit every tablet. Each index below is hash-sharded on what a read looks up by, with time as a
-- range column: one tablet per lookup, rows in order within it.
-- Every key below is fixed once its row is written (the jobs' upserts only change other columns), so a job's update
-- of an existing row does not touch these indexes; a new row adds one entry per index.
-- CONCURRENTLY (YSQL's online index build with backfill): a migration of a running cluster does not block the jobs'
-- writes. Flyway runs a script of such statements outside a transaction (inside one, YSQL would build them
-- non-concurrently); if one fails, drop the invalid index it leaves and rerun.

-- A viewer's watch history, newest first: one user's entries in one tablet, in order.
CREATE INDEX CONCURRENTLY IF NOT EXISTS watch_segments_by_user ON watch_segments (user_id HASH, segment_start DESC);

-- "Continue watching": one user's videos in one tablet. Keyed on video_id, not on event_time, so that the resume
-- point's frequent updates (every few seconds per viewer) never move the entry.
CREATE INDEX CONCURRENTLY IF NOT EXISTS video_progress_by_user ON video_progress (user_id HASH, video_id ASC);

-- Royalties per licensor and video per UTC day and per UTC calendar month (views royalties_daily and
-- royalties_monthly group by exactly these expressions, so a filter on the view's day or month is a range here).
CREATE INDEX CONCURRENTLY IF NOT EXISTS content_watch_hourly_by_licensor_day
    ON content_watch_hourly (licensor_id HASH, (((hour AT TIME ZONE 'UTC')::date)) ASC, video_id ASC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS content_watch_hourly_by_licensor_month
    ON content_watch_hourly (licensor_id HASH, ((date_trunc('month', hour AT TIME ZONE 'UTC')::date)) ASC, video_id ASC);

-- Rows written while the catalog did not know their video: what hb catalog re-attributes. Partial, so it holds only
-- those rows (usually none) and a re-attributed row leaves it.
CREATE INDEX CONCURRENTLY IF NOT EXISTS content_watch_hourly_unattributed
    ON content_watch_hourly (video_id HASH, hour ASC) WHERE licensor_id IS NULL;

-- The business dashboard's time ranges across all videos and ads. Range-sharded on hour: new entries go to the
-- newest range, but only one per (video, hour) or (ad, hour) row when it is first written, a small fraction of the
-- jobs' writes, and the tablets split as they grow.
CREATE INDEX CONCURRENTLY IF NOT EXISTS content_watch_hourly_by_hour ON content_watch_hourly (hour ASC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS ad_impressions_hourly_by_hour ON ad_impressions_hourly (hour ASC);

-- Ad reports per advertiser and campaign per UTC day (view ad_delivery_daily): each ad's days as a range.
CREATE INDEX CONCURRENTLY IF NOT EXISTS ad_impressions_hourly_by_ad_day
    ON ad_impressions_hourly (ad_id HASH, (((hour AT TIME ZONE 'UTC')::date)) ASC);

-- Ad reports per advertiser and campaign: the advertiser's ads in one tablet, then each ad's hours by the primary key.
CREATE INDEX CONCURRENTLY IF NOT EXISTS ads_by_advertiser ON ads (advertiser_id HASH, campaign_id ASC);
