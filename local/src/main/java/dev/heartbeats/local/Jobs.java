package dev.heartbeats.local;

import dev.heartbeats.archive.ArchiveJob;
import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.adimpressions.AdImpressionsJob;
import dev.heartbeats.segments.SegmentsJob;
import dev.heartbeats.watchtime.WatchTimeJob;

import java.util.LinkedHashMap;
import java.util.Map;

/** The suite's jobs by name. */
public final class Jobs {
    private Jobs() {}

    /** The jobs that write the output tables (and can restate them from the archive). */
    public static Map<String, JobLauncher.Job> all() {
        Map<String, JobLauncher.Job> jobs = new LinkedHashMap<>();
        for (JobLauncher.Job j : new JobLauncher.Job[] {new SegmentsJob(), new WatchTimeJob(), new AdImpressionsJob()}) jobs.put(j.name(), j);
        return jobs;
    }

    /** Every job of the pipeline: the table jobs and the archive job. */
    public static Map<String, JobLauncher.Job> withArchive() {
        Map<String, JobLauncher.Job> jobs = all();
        JobLauncher.Job archive = new ArchiveJob();
        jobs.put(archive.name(), archive);
        return jobs;
    }

    public static JobLauncher.Job byName(String name) {
        JobLauncher.Job job = withArchive().get(name);
        if (job == null) throw new ConfigException("unknown job '" + name + "'; jobs: " + String.join(", ", withArchive().keySet()));
        return job;
    }
}
