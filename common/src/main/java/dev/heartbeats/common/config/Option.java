package dev.heartbeats.common.config;

import org.apache.flink.util.TimeUtils;

import java.io.Serializable;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One command-line setting: {@code --name value} (or {@code --name} alone for a flag). Each job lists the options
 * it accepts; the same list drives parsing, validation, defaults and {@code --help}.
 */
public final class Option<T> implements Serializable {
    private static final long serialVersionUID = 1L;

    public final String name;
    public final String description;
    /** Printed default; {@code null} means required (unless {@link #optional}). */
    public final String defaultText;
    final boolean flag;
    final boolean optional;
    /** Given any number of times; {@link Settings#get} returns every value, in order (an empty list when none). */
    final boolean repeatable;
    private final SerializableFunction<String, T> parser;
    private final SerializablePredicate<T> check;
    private final String checkText;

    interface SerializableFunction<A, B> extends Function<A, B>, Serializable {}

    interface SerializablePredicate<A> extends Predicate<A>, Serializable {}

    private Option(String name, String description, String defaultText, boolean flag, boolean optional,
                   SerializableFunction<String, T> parser, SerializablePredicate<T> check, String checkText) {
        this(name, description, defaultText, flag, optional, false, parser, check, checkText);
    }

    private Option(String name, String description, String defaultText, boolean flag, boolean optional, boolean repeatable,
                   SerializableFunction<String, T> parser, SerializablePredicate<T> check, String checkText) {
        this.name = name;
        this.description = description;
        this.defaultText = defaultText;
        this.flag = flag;
        this.optional = optional;
        this.repeatable = repeatable;
        this.parser = parser;
        this.check = check;
        this.checkText = checkText;
    }

    public static Option<String> string(String name, String defaultValue, String description) {
        return new Option<>(name, description, defaultValue, false, defaultValue == null, s -> s, s -> !s.isEmpty(), "must not be empty");
    }

    public static Option<Integer> integer(String name, int defaultValue, String description) {
        return new Option<>(name, description, Integer.toString(defaultValue), false, false, Integer::parseInt, v -> v > 0, "must be > 0");
    }

    /** A TCP port; 0 means any free one. */
    public static Option<Integer> port(String name, int defaultValue, String description) {
        return new Option<>(name, description, Integer.toString(defaultValue), false, false, Integer::parseInt,
                v -> v >= 0 && v <= 65535, "must be a port number (0 to 65535)");
    }

    public static Option<Long> longValue(String name, long defaultValue, String description) {
        return new Option<>(name, description, Long.toString(defaultValue), false, false, Long::parseLong, v -> v >= 0, "must be >= 0");
    }

    public static Option<Double> decimal(String name, double defaultValue, String description) {
        return new Option<>(name, description, Double.toString(defaultValue), false, false, Double::parseDouble,
                v -> v > 0 && !v.isInfinite(), "must be a positive number");
    }

    /** Durations like {@code 500ms}, {@code 30s}, {@code 10min}, {@code 12h}. */
    public static Option<Duration> duration(String name, String defaultValue, String description) {
        return new Option<>(name, description, defaultValue, false, false, TimeUtils::parseDuration, d -> !d.isNegative(), "must not be negative");
    }

    /**
     * A setting that may be given several times ({@code --name a --name b}); its value is the list of them all, in
     * order. Each value is checked on its own (not empty); none given is the empty list.
     */
    public static Option<java.util.List<String>> repeatable(String name, String description) {
        return new Option<>(name, description + " (repeatable)", null, false, true, true, java.util.List::of, v -> !v.get(0).isEmpty(), "must not be empty");
    }

    public static Option<Boolean> flag(String name, String description) {
        return new Option<>(name, description, "false", true, false, Boolean::parseBoolean, v -> true, "");
    }

    public static <E extends Enum<E>> Option<E> choice(String name, E defaultValue, Class<E> type, String description) {
        String values = String.join("|", Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT).replace('_', '-')).toArray(String[]::new));
        return new Option<>(name, description + " (" + values + ")", defaultValue.name().toLowerCase(Locale.ROOT).replace('_', '-'), false, false,
                s -> Enum.valueOf(type, s.toUpperCase(Locale.ROOT).replace('-', '_')), v -> true, "");
    }

    /** An option with no default that may be left out (then {@link Settings#get} returns {@code null}). */
    public Option<T> optional() {
        return new Option<>(name, description, null, flag, true, repeatable, parser, check, checkText);
    }

    /** The same option with another default (a job may pick its own, e.g. its consumer group). */
    public Option<T> withDefault(String newDefault) {
        return new Option<>(name, description, newDefault, flag, false, repeatable, parser, check, checkText);
    }

    T parse(String raw) {
        T value;
        try {
            value = parser.apply(repeatable ? raw : raw.trim());
        } catch (RuntimeException e) {
            throw new ConfigException("--" + name + ": cannot parse '" + raw + "': " + e.getMessage());
        }
        if (!check.test(value)) throw new ConfigException("--" + name + ": '" + raw + "' " + checkText);
        return value;
    }

    @SuppressWarnings("unchecked")
    T defaultValue() {
        if (repeatable) return (T) java.util.List.of();
        return defaultText == null ? null : parse(defaultText);
    }
}
