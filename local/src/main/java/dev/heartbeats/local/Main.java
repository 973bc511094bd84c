package dev.heartbeats.local;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.generator.GenerateCommand;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.schema.maintenance.CatalogCommand;
import dev.heartbeats.schema.maintenance.Retention;

import java.util.Arrays;

/**
 * The suite's command line ({@code scripts/hb}): one entry point for the local pipeline, single jobs against
 * existing Kafka and databases, and the tools.
 */
public final class Main {
    private Main() {}

    static final String USAGE = String.join("\n",
            "Usage: hb <command> [settings]   (hb <command> --help for its settings)",
            "",
            "Commands:",
            "  pipeline            run everything locally: Kafka, PostgreSQL, Flink + web UI, generator, all jobs",
            "  job <name>          run one job (" + String.join(", ", Jobs.withArchive().keySet()) + ") on a local Flink against existing Kafka and DB;",
            "                      SIGTERM/Ctrl-C stops it with a savepoint (--state-dir), the same command resumes from it",
            "  cluster <name>      run a job's FlinkDeployment as the operator does: JobManager and TaskManager processes, the image's jar",
            "  restate             recompute the rows of a time range from the archive (hb restate --job all --from ... --to ...)",
            "  schema              migrate a database to the schema this release needs (PostgreSQL or YugabyteDB flavour)",
            "  catalog             load the videos and ads catalog from CSV (idempotent), then re-attribute watch time of videos it now knows",
            "  retention           delete rows older than each table's retention, in bounded batches",
            "  generate            send generated heartbeats to Kafka (a number of them, or live at a rate)",
            "  dlq export|replay   export dead letters to a JSON-lines file; replay corrected ones into the input topic");

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            System.out.println(USAGE);
            return;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            switch (args[0]) {
                case "pipeline":
                    LocalPipeline.main(rest);
                    System.exit(0); // Flink and Kafka leave non-daemon threads behind
                    break;
                case "job":
                    JobCommand.main(rest);
                    break;
                case "cluster":
                    ClusterCommand.main(rest);
                    System.exit(0);
                    break;
                case "restate":
                    RestateCommand.main(rest);
                    System.exit(0); // Flink leaves non-daemon threads behind
                    break;
                case "schema":
                    SchemaCommand.main(rest);
                    break;
                case "catalog":
                    CatalogCommand.main(rest);
                    break;
                case "retention":
                    Retention.main(rest);
                    break;
                case "generate":
                    GenerateCommand.main(rest);
                    break;
                case "dlq":
                    DlqCommand.main(rest);
                    break;
                default:
                    throw new ConfigException("unknown command '" + args[0] + "'\n\n" + USAGE);
            }
        } catch (ConfigException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }
}
