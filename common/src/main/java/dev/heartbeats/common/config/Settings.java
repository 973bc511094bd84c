package dev.heartbeats.common.config;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parsed command-line settings of one job or command. Parsing fails fast with a {@link ConfigException} that names
 * the offending setting: unknown options, missing values, malformed or out-of-range values.
 *
 * <p>Hand-written rather than picocli because a job's settings must be {@link Serializable} values that travel in
 * the job graph and are shared, option by option, between the jobs, the tools and the FlinkDeployment checks; a
 * picocli command object is neither, and the whole parser here is smaller than the glue it would need.
 */
public final class Settings implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Map<String, Object> values;
    /** What was given, per setting: one value (the last one given), or every value of a repeatable setting. */
    private final Map<String, List<String>> raw;

    private Settings(Map<String, Object> values, Map<String, List<String>> raw) {
        this.values = values;
        this.raw = raw;
    }

    @SuppressWarnings("unchecked")
    public static Settings parse(String[] args, List<Option<?>> options) {
        Map<String, Option<?>> byName = new LinkedHashMap<>();
        for (Option<?> o : options) byName.put(o.name, o);
        Map<String, List<String>> given = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) throw new ConfigException("unexpected argument '" + arg + "' (settings are --name value; see --help)");
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Option<?> o = byName.get(name);
            if (o == null) throw new ConfigException("--" + name + ": unknown setting (see --help for the list)");
            if (value == null) {
                if (o.flag && (i + 1 >= args.length || args[i + 1].startsWith("--"))) {
                    value = "true";
                } else {
                    if (i + 1 >= args.length) throw new ConfigException("--" + name + ": missing value");
                    value = args[++i];
                }
            }
            if (o.repeatable) given.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            else given.put(name, List.of(value)); // the last one wins
        }
        Map<String, Object> values = new HashMap<>();
        for (Option<?> o : options) {
            List<String> v = given.get(o.name);
            Object parsed;
            if (v != null && o.repeatable) {
                List<String> all = new ArrayList<>();
                for (String one : v) all.addAll((List<String>) o.parse(one));
                parsed = List.copyOf(all);
            } else {
                parsed = v != null ? o.parse(v.get(0)) : o.defaultValue();
            }
            if (parsed == null && !o.optional) throw new ConfigException("--" + o.name + ": required setting is missing");
            values.put(o.name, parsed);
        }
        return new Settings(values, given);
    }

    public static boolean wantsHelp(String[] args) {
        for (String a : args) if (a.equals("--help") || a.equals("-h")) return true;
        return false;
    }

    @SuppressWarnings("unchecked")
    public <T> T get(Option<T> option) {
        if (!values.containsKey(option.name)) throw new ConfigException("--" + option.name + ": not a setting of this command");
        return (T) values.get(option.name);
    }

    /** Whether {@code option} is one of this command's settings (given or defaulted). */
    public boolean has(Option<?> option) {
        return values.containsKey(option.name);
    }

    public boolean isSet(Option<?> option) {
        return raw.containsKey(option.name);
    }

    /** The arguments that reproduce these settings (for handing them on to a job started by another command). */
    public List<String> toArgs() {
        List<String> out = new ArrayList<>();
        raw.forEach((k, vs) -> {
            for (String v : vs) {
                out.add("--" + k);
                out.add(v);
            }
        });
        return out;
    }

    /** The arguments that reproduce the settings of {@code options} that were given (e.g. the Kafka client's, for a job). */
    public List<String> toArgs(List<Option<?>> options) {
        List<String> out = new ArrayList<>();
        for (Option<?> o : options) {
            for (String v : raw.getOrDefault(o.name, List.of())) {
                out.add("--" + o.name);
                out.add(v);
            }
        }
        return out;
    }

    public static String help(String usage, List<Option<?>> options) {
        StringBuilder sb = new StringBuilder(usage).append("\n\nSettings:\n");
        for (Option<?> o : options) {
            sb.append(String.format("  --%-28s %s", o.name + (o.flag ? "" : " <value>"), o.description));
            if (o.defaultText != null && !o.flag) sb.append(" [default: ").append(o.defaultText).append(']');
            else if (!o.flag && !o.optional && !o.repeatable) sb.append(" [required]");
            sb.append('\n');
        }
        return sb.toString();
    }

    /** An environment variable, for secrets, which never go on the command line. */
    public static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? fallback : v;
    }
}
