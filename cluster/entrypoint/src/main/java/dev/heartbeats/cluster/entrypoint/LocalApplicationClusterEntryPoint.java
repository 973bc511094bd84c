package dev.heartbeats.cluster.entrypoint;

import org.apache.flink.client.deployment.application.ApplicationClusterEntryPoint;
import org.apache.flink.client.deployment.application.ApplicationConfiguration;
import org.apache.flink.client.program.DefaultPackagedProgramRetriever;
import org.apache.flink.client.program.PackagedProgram;
import org.apache.flink.client.program.artifact.ArtifactFetchManager;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.PluginUtils;
import org.apache.flink.runtime.entrypoint.ClusterEntrypoint;
import org.apache.flink.runtime.entrypoint.ClusterEntrypointUtils;
import org.apache.flink.runtime.entrypoint.EntrypointClusterConfiguration;
import org.apache.flink.runtime.entrypoint.EntrypointClusterConfigurationParserFactory;
import org.apache.flink.runtime.resourcemanager.StandaloneResourceManagerFactory;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.flink.runtime.util.JvmShutdownSafeguard;
import org.apache.flink.runtime.util.SignalHandler;

import java.io.File;
import java.util.List;

/**
 * The JobManager of an application cluster outside Kubernetes: loads {@code config.yaml} from {@code --configDir}
 * (plus {@code -D} overrides), builds the program from {@code pipeline.jars} (a {@code local://} jar, as the
 * operator's {@code job.jarURI}), {@code $internal.application.main} and {@code $internal.application.program-args}
 * (the operator's {@code entryClass} and {@code args}) with {@code usrlib/} on its class path, and runs its
 * {@code main} inside this process. The same steps as the image's Kubernetes application entry point; only the
 * resource manager differs: TaskManagers are started as processes by whoever started this one, and register here.
 */
public final class LocalApplicationClusterEntryPoint extends ApplicationClusterEntryPoint {

    private LocalApplicationClusterEntryPoint(Configuration configuration, PackagedProgram program) {
        super(configuration, program, StandaloneResourceManagerFactory.getInstance());
    }

    public static void main(String[] args) {
        EnvironmentInformation.logEnvironmentInfo(LOG, LocalApplicationClusterEntryPoint.class.getSimpleName(), args);
        SignalHandler.register(LOG);
        JvmShutdownSafeguard.installAsShutdownHook(LOG);

        EntrypointClusterConfiguration clusterConfiguration = ClusterEntrypointUtils.parseParametersOrExit(
                args, new EntrypointClusterConfigurationParserFactory(), LocalApplicationClusterEntryPoint.class);
        Configuration configuration = loadConfiguration(clusterConfiguration);

        PackagedProgram program;
        try {
            FileSystem.initialize(configuration, PluginUtils.createPluginManagerFromRootFolder(configuration));
            program = packagedProgram(configuration);
            configureExecution(configuration, program);
        } catch (Exception e) {
            LOG.error("Could not create the application program.", e);
            System.exit(STARTUP_FAILURE_RETURN_CODE);
            return;
        }
        ClusterEntrypoint.runClusterEntrypoint(new LocalApplicationClusterEntryPoint(configuration, program));
    }

    private static PackagedProgram packagedProgram(Configuration configuration) throws Exception {
        ApplicationConfiguration application = ApplicationConfiguration.fromConfiguration(configuration);
        List<String> jars = configuration.getOptional(PipelineOptions.JARS).orElse(List.of());
        if (jars.size() != 1) {
            throw new IllegalArgumentException(PipelineOptions.JARS.key() + " must name exactly one job jar, got " + jars);
        }
        File workDir = new File(System.getProperty("java.io.tmpdir"), "flink-artifacts");
        ArtifactFetchManager.Result fetched = new ArtifactFetchManager(configuration, workDir.getAbsolutePath())
                .fetchArtifacts(jars.get(0), List.of());
        File userLib = ClusterEntrypointUtils.tryFindUserLibDirectory().orElse(null);
        return DefaultPackagedProgramRetriever.create(userLib, fetched.getJobJar(), fetched.getArtifacts(),
                application.getApplicationClassName(), application.getProgramArguments(), configuration).getPackagedProgram();
    }
}
