-- V10: indexes for the people who read the tables (issue 17; "Reading the results" in schema/README.md).
-- Every key below is fixed once its row is written (the jobs' upserts only change other columns), so a job's update
-- of an existing row leaves these indexes alone; a new row adds one entry per index.
-- CONCURRENTLY: a migration of a running database does not block the jobs' writes while an index is built. Flyway
-- runs a script of such statements outside a transaction; if one fails, drop the INVALID index it leaves and rerun.
-- PostgreSQL flavour: the primary key of video_progress (user_id, video_id) already serves the per-user reads
-- ("continue watching"), so it gets no index here; the YugabyteDB flavour needs one (its key is hashed per pair).

-- A viewer's watch history, newest first: a range of one user's entries, already in order.
CREATE INDEX CONCURRENTLY IF NOT EXISTS watch_segments_by_user ON watch_segments (user_id, segment_start DESC);

-- Royalties per licensor and video per UTC day and per UTC calendar month (views royalties_daily and
-- royalties_monthly group by exactly these expressions, so a filter on the view's day or month is a range here).
CREATE INDEX CONCURRENTLY IF NOT EXISTS content_watch_hourly_by_licensor_day
    ON content_watch_hourly (licensor_id, (((hour AT TIME ZONE 'UTC')::date)), video_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS content_watch_hourly_by_licensor_month
    ON content_watch_hourly (licensor_id, ((date_trunc('month', hour AT TIME ZONE 'UTC')::date)), video_id);

-- Rows written while the catalog did not know their video: what hb catalog re-attributes. Partial, so it holds only
-- those rows (usually none) and a re-attributed row leaves it.
CREATE INDEX CONCURRENTLY IF NOT EXISTS content_watch_hourly_unattributed
    ON content_watch_hourly (video_id, hour) WHERE licensor_id IS NULL;

-- The business dashboard's time ranges across all videos and ads (engagement per hour, top videos, ad delivery).
CREATE INDEX CONCURRENTLY IF NOT EXISTS content_watch_hourly_by_hour ON content_watch_hourly (hour);
CREATE INDEX CONCURRENTLY IF NOT EXISTS ad_impressions_hourly_by_hour ON ad_impressions_hourly (hour);

-- Ad reports per advertiser and campaign per UTC day (view ad_delivery_daily): each ad's days as a range.
CREATE INDEX CONCURRENTLY IF NOT EXISTS ad_impressions_hourly_by_ad_day
    ON ad_impressions_hourly (ad_id, (((hour AT TIME ZONE 'UTC')::date)));

-- Ad reports per advertiser and campaign: the advertiser's ads, then each ad's hours by the primary key.
CREATE INDEX CONCURRENTLY IF NOT EXISTS ads_by_advertiser ON ads (advertiser_id, campaign_id);
