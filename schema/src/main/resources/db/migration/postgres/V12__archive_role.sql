-- V12: the archive job's login role. The archive writes files, never the database: its role may only read the
-- migration history, which its JobManager's init container checks (as every job's) before the job starts. Created
-- only if missing, as the roles of V3; 'hb schema' sets its password from a file like theirs.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'heartbeats_archive') THEN
        CREATE ROLE heartbeats_archive LOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO heartbeats_archive;
GRANT SELECT ON ${flyway:table} TO heartbeats_archive;
