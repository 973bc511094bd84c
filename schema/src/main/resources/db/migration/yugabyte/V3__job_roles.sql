-- V3 (YugabyteDB flavour, the same statements: YSQL has the roles, grants and DO blocks of PostgreSQL): least privilege. One login role per job, with only the rights that job needs: DML on the tables it writes,
-- the sinks' writer_fence, reading the migration history (the version check at start) and, for watch-time, the
-- videos catalog (its licensor lookup). Roles belong to the server, not the database: created only if missing, so
-- that several databases on one server can each be migrated. No password here: 'hb schema' (the migrate command)
-- sets each role's password from a file, or the server authenticates the roles otherwise (certificates, trust).
-- The migration runs as a role that may create roles (the database's administrator).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'heartbeats_segments') THEN
        CREATE ROLE heartbeats_segments LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'heartbeats_watch_time') THEN
        CREATE ROLE heartbeats_watch_time LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'heartbeats_ad_impressions') THEN
        CREATE ROLE heartbeats_ad_impressions LOGIN;
    END IF;
END
$$;

-- Nobody but the owner creates objects in the schema (PostgreSQL 15's default, made explicit for older servers).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

GRANT USAGE ON SCHEMA public TO heartbeats_segments, heartbeats_watch_time, heartbeats_ad_impressions;
GRANT SELECT ON ${flyway:table} TO heartbeats_segments, heartbeats_watch_time, heartbeats_ad_impressions;
GRANT SELECT, INSERT, UPDATE ON writer_fence TO heartbeats_segments, heartbeats_watch_time, heartbeats_ad_impressions;

-- SELECT with the DML: an upsert's ON CONFLICT and a DELETE's WHERE read the rows they change.
GRANT SELECT, INSERT, UPDATE, DELETE ON watch_segments, video_progress TO heartbeats_segments;
GRANT SELECT, INSERT, UPDATE, DELETE ON content_watch_hourly TO heartbeats_watch_time;
GRANT SELECT ON videos TO heartbeats_watch_time;
GRANT SELECT, INSERT, UPDATE, DELETE ON ad_impressions_hourly TO heartbeats_ad_impressions;
