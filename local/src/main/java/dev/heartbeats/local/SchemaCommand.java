package dev.heartbeats.local;

import dev.heartbeats.schema.SchemaTool;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code hb schema}: the schema tool's {@code migrate} (module schema, the same the Kubernetes schema Job runs): migrates
 * the database to the schema version this release needs, in the database's flavour, and sets the jobs' role passwords
 * it is given. {@code hb schema check} runs its check. Safe to run again.
 */
final class SchemaCommand {
    private SchemaCommand() {}

    static void main(String[] args) throws Exception {
        List<String> a = new ArrayList<>(Arrays.asList(args));
        if (a.isEmpty() || !(a.get(0).equals("migrate") || a.get(0).equals("check"))) a.add(0, "migrate");
        int code = SchemaTool.run(a.toArray(new String[0]));
        if (code != 0) System.exit(code);
    }
}
