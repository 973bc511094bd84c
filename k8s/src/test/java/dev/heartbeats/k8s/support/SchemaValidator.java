package dev.heartbeats.k8s.support;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A strict validator for the structural OpenAPI v3 schemas of CustomResourceDefinitions, checking a manifest the way
 * {@code kubectl apply --validate=strict} and the API server do:
 * <ul>
 *   <li>unknown fields are errors (the API server would prune them silently; strict validation rejects them), except
 *       below {@code x-kubernetes-preserve-unknown-fields: true} or where {@code additionalProperties} allows them;</li>
 *   <li>types ({@code object, array, string, integer, number, boolean}; an integer is not a string, "2" is not 2),
 *       {@code x-kubernetes-int-or-string}, {@code nullable};</li>
 *   <li>{@code enum}, {@code required}, {@code pattern}, {@code format} (int32, int64, date-time, byte),
 *       {@code minimum/maximum} (and exclusive), {@code minLength/maxLength}, {@code minItems/maxItems},
 *       {@code uniqueItems}, {@code minProperties/maxProperties}, {@code multipleOf};</li>
 *   <li>{@code anyOf/oneOf/allOf/not} as value constraints (in structural schemas they never declare fields).</li>
 * </ul>
 * {@code x-kubernetes-validations} (CEL) rules are not evaluated: a value that reaches a schema with such rules is an
 * error ("not checked offline"), so a manifest cannot pass here on a rule nobody checked (the CRDs of k8s/crds have a
 * few, on fields the manifests do not use: Strimzi's rack and metricsConfig).
 * Messages name the field path, e.g. {@code spec.job.parallelism: must be of type integer, got string "6"}.
 */
public final class SchemaValidator {

    /**
     * CEL rules of the CRDs that are checked here, each by a Java rendering of the rule (verbatim as the CRD has it):
     * Strimzi's KafkaUser spec.authentication (validity and renewal days, for tls users only).
     */
    private static final Map<String, java.util.function.Predicate<Map<String, Object>>> CEL_RULES = Map.of(
            "self.type == 'tls' || (!has(self.validityDays) && !has(self.renewalDays))",
            self -> "tls".equals(self.get("type")) || (!self.containsKey("validityDays") && !self.containsKey("renewalDays")),
            "self.type != 'tls' || (has(self.renewalDays) == has(self.validityDays))",
            self -> !"tls".equals(self.get("type")) || self.containsKey("renewalDays") == self.containsKey("validityDays"),
            "self.type != 'tls' || !has(self.renewalDays) || !has(self.validityDays) || self.renewalDays < self.validityDays",
            self -> !"tls".equals(self.get("type")) || !self.containsKey("renewalDays") || !self.containsKey("validityDays")
                    || ((Number) self.get("renewalDays")).longValue() < ((Number) self.get("validityDays")).longValue());

    private static final Set<String> KNOWN_KEYWORDS = Set.of(
            "type", "properties", "additionalProperties", "items", "required", "enum", "nullable", "format", "pattern",
            "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength",
            "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties", "anyOf", "oneOf", "allOf", "not",
            "description", "title", "default", "example", "externalDocs",
            "x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
            "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type", "x-kubernetes-validations");

    private SchemaValidator() {}

    /** Validates {@code value} against {@code schema}; errors are added to {@code errors}, prefixed with {@code path}. */
    public static void validate(Object value, Map<String, Object> schema, String path, List<String> errors) {
        validate(value, schema, path, errors, true);
    }

    public static List<String> validate(Object value, Map<String, Object> schema) {
        List<String> errors = new ArrayList<>();
        validate(value, schema, "", errors, true);
        return errors;
    }

    /**
     * @param structural whether unknown fields count: true on the schema's own tree, false inside anyOf/oneOf/allOf/not
     *                   branches (which only constrain values)
     */
    private static void validate(Object value, Map<String, Object> schema, String path, List<String> errors, boolean structural) {
        for (String k : schema.keySet()) {
            if (!KNOWN_KEYWORDS.contains(k)) errors.add(at(path) + "the schema uses keyword '" + k + "' that this validator does not know");
        }
        boolean preserve = Boolean.TRUE.equals(schema.get("x-kubernetes-preserve-unknown-fields"));
        boolean intOrString = Boolean.TRUE.equals(schema.get("x-kubernetes-int-or-string"));
        String type = (String) schema.get("type");

        if (value == null) {
            if (!Boolean.TRUE.equals(schema.get("nullable")) && (type != null || intOrString)) {
                errors.add(at(path) + "must not be null (the schema does not allow null here)");
            }
            return;
        }

        if (intOrString) {
            if (!(isInteger(value) || value instanceof String)) {
                errors.add(at(path) + "must be an integer or a string, got " + describe(value));
                return;
            }
        } else if (type != null && !hasType(value, type)) {
            errors.add(at(path) + "must be of type " + type + ", got " + describe(value));
            return;
        }

        if (schema.get("x-kubernetes-validations") instanceof List<?> rules && !rules.isEmpty()) {
            List<String> unchecked = new ArrayList<>();
            for (Object r : rules) {
                String rule = String.valueOf(Manifests.map(r).get("rule"));
                java.util.function.Predicate<Map<String, Object>> check = CEL_RULES.get(rule);
                if (check == null) unchecked.add(rule);
                else if (!check.test(Manifests.map(value))) errors.add(at(path) + Manifests.map(r).get("message"));
            }
            if (!unchecked.isEmpty()) {
                errors.add(at(path) + "the schema has CEL rules (x-kubernetes-validations) that are not checked offline: "
                        + rules + " (check them explicitly before using this field)");
            }
        }
        checkEnum(value, schema, path, errors);
        if (value instanceof Map<?, ?> m) {
            checkObject(Manifests.map(m), schema, path, errors, structural, preserve);
        } else if (value instanceof List<?> l) {
            checkArray(l, schema, path, errors, structural);
        } else if (value instanceof String s) {
            checkString(s, schema, path, errors);
        } else if (value instanceof Number n) {
            checkNumber(n, schema, path, errors);
        }
        checkCombinators(value, schema, path, errors);
    }

    private static void checkObject(Map<String, Object> m, Map<String, Object> schema, String path, List<String> errors,
                                    boolean structural, boolean preserve) {
        Map<String, Object> props = Manifests.map(schema.get("properties"));
        Object additional = schema.get("additionalProperties");
        boolean embedded = Boolean.TRUE.equals(schema.get("x-kubernetes-embedded-resource"));
        for (Map.Entry<String, Object> e : m.entrySet()) {
            String key = e.getKey();
            String child = path.isEmpty() ? key : path + "." + key;
            if (props.containsKey(key)) {
                validate(e.getValue(), Manifests.map(props.get(key)), child, errors, structural);
            } else if (additional instanceof Map<?, ?> a) {
                validate(e.getValue(), Manifests.map(a), child, errors, structural);
            } else if (Boolean.TRUE.equals(additional) || preserve) {
                // allowed as it is
            } else if (embedded && Set.of("apiVersion", "kind", "metadata").contains(key)) {
                // an embedded resource always has these
            } else if (structural) {
                errors.add("unknown field \"" + child + "\"" + suggestion(key, props.keySet()));
            }
        }
        for (Object r : Manifests.list(schema.get("required"))) {
            if (!m.containsKey(r.toString())) errors.add(at(path) + "required field \"" + r + "\" is missing");
        }
        intBound(schema, "minProperties", m.size(), path, errors, "properties", true);
        intBound(schema, "maxProperties", m.size(), path, errors, "properties", false);
    }

    private static void checkArray(List<?> l, Map<String, Object> schema, String path, List<String> errors, boolean structural) {
        Object items = schema.get("items");
        if (items instanceof Map<?, ?> itemSchema) {
            for (int i = 0; i < l.size(); i++) validate(l.get(i), Manifests.map(itemSchema), path + "[" + i + "]", errors, structural);
        }
        intBound(schema, "minItems", l.size(), path, errors, "items", true);
        intBound(schema, "maxItems", l.size(), path, errors, "items", false);
        if (Boolean.TRUE.equals(schema.get("uniqueItems")) && new HashSet<>(l).size() != l.size()) {
            errors.add(at(path) + "items must be unique");
        }
    }

    private static void checkString(String s, Map<String, Object> schema, String path, List<String> errors) {
        int len = s.codePointCount(0, s.length());
        intBound(schema, "minLength", len, path, errors, "characters", true);
        intBound(schema, "maxLength", len, path, errors, "characters", false);
        if (schema.get("pattern") instanceof String p) {
            try {
                if (!Pattern.compile(p).matcher(s).find()) errors.add(at(path) + "\"" + s + "\" does not match the pattern " + p);
            } catch (PatternSyntaxException e) {
                errors.add(at(path) + "the schema's pattern does not compile: " + p);
            }
        }
        if (schema.get("format") instanceof String f) {
            switch (f) {
                case "date-time" -> {
                    try {
                        OffsetDateTime.parse(s);
                    } catch (DateTimeParseException e) {
                        errors.add(at(path) + "\"" + s + "\" is not an RFC 3339 date-time");
                    }
                }
                case "byte" -> {
                    try {
                        Base64.getDecoder().decode(s);
                    } catch (IllegalArgumentException e) {
                        errors.add(at(path) + "\"" + s + "\" is not base64 (format byte)");
                    }
                }
                default -> { /* int-or-string, quantity, ... are descriptive for strings */ }
            }
        }
    }

    private static void checkNumber(Number n, Map<String, Object> schema, String path, List<String> errors) {
        BigDecimal v = decimal(n);
        if (isInteger(n) && schema.get("format") instanceof String f) {
            BigInteger i = v.toBigIntegerExact();
            if (f.equals("int32") && (i.bitLength() > 31)) errors.add(at(path) + n + " is out of range for format int32");
            if (f.equals("int64") && (i.bitLength() > 63)) errors.add(at(path) + n + " is out of range for format int64");
        }
        if (schema.get("minimum") instanceof Number min) {
            int c = v.compareTo(decimal(min));
            boolean excl = Boolean.TRUE.equals(schema.get("exclusiveMinimum"));
            if (c < 0 || (excl && c == 0)) errors.add(at(path) + n + " must be " + (excl ? "> " : ">= ") + min);
        }
        if (schema.get("maximum") instanceof Number max) {
            int c = v.compareTo(decimal(max));
            boolean excl = Boolean.TRUE.equals(schema.get("exclusiveMaximum"));
            if (c > 0 || (excl && c == 0)) errors.add(at(path) + n + " must be " + (excl ? "< " : "<= ") + max);
        }
        if (schema.get("multipleOf") instanceof Number mult && decimal(mult).signum() != 0
                && v.remainder(decimal(mult)).signum() != 0) {
            errors.add(at(path) + n + " must be a multiple of " + mult);
        }
    }

    private static void checkEnum(Object value, Map<String, Object> schema, String path, List<String> errors) {
        if (!(schema.get("enum") instanceof List<?> allowed)) return;
        for (Object a : allowed) if (sameValue(a, value)) return;
        StringBuilder sb = new StringBuilder();
        for (Object a : allowed) sb.append(sb.length() == 0 ? "" : ", ").append('"').append(a).append('"');
        errors.add(at(path) + "unsupported value " + describeValue(value) + ": supported values: " + sb);
    }

    private static void checkCombinators(Object value, Map<String, Object> schema, String path, List<String> errors) {
        if (schema.get("allOf") instanceof List<?> all) {
            for (Object s : all) validate(value, Manifests.map(s), path, errors, false);
        }
        if (schema.get("anyOf") instanceof List<?> any) {
            List<String> why = new ArrayList<>();
            boolean ok = false;
            for (Object s : any) {
                List<String> e = new ArrayList<>();
                validate(value, Manifests.map(s), path, e, false);
                if (e.isEmpty()) {
                    ok = true;
                    break;
                }
                why.addAll(e);
            }
            if (!ok) errors.add(at(path) + "matches none of anyOf: " + String.join("; ", why));
        }
        if (schema.get("oneOf") instanceof List<?> one) {
            int matches = 0;
            for (Object s : one) {
                List<String> e = new ArrayList<>();
                validate(value, Manifests.map(s), path, e, false);
                if (e.isEmpty()) matches++;
            }
            if (matches != 1) errors.add(at(path) + "must match exactly one of oneOf, matches " + matches);
        }
        if (schema.get("not") instanceof Map<?, ?> not) {
            List<String> e = new ArrayList<>();
            validate(value, Manifests.map(not), path, e, false);
            if (e.isEmpty()) errors.add(at(path) + "must not match the schema under 'not'");
        }
    }

    // ---- helpers ----

    private static void intBound(Map<String, Object> schema, String key, int actual, String path, List<String> errors, String what, boolean min) {
        if (!(schema.get(key) instanceof Number bound)) return;
        if (min ? actual < bound.longValue() : actual > bound.longValue()) {
            errors.add(at(path) + "has " + actual + " " + what + ", " + (min ? "at least " : "at most ") + bound + " allowed");
        }
    }

    static boolean hasType(Object v, String type) {
        return switch (type) {
            case "object" -> v instanceof Map;
            case "array" -> v instanceof List;
            case "string" -> v instanceof String;
            case "integer" -> isInteger(v);
            case "number" -> v instanceof Number;
            case "boolean" -> v instanceof Boolean;
            default -> false;
        };
    }

    private static boolean isInteger(Object v) {
        return v instanceof Integer || v instanceof Long || v instanceof BigInteger || v instanceof Short || v instanceof Byte;
    }

    private static BigDecimal decimal(Number n) {
        if (n instanceof BigInteger b) return new BigDecimal(b);
        if (isInteger(n)) return BigDecimal.valueOf(n.longValue());
        return new BigDecimal(n.toString());
    }

    private static boolean sameValue(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) return decimal(x).compareTo(decimal(y)) == 0;
        return a != null && a.equals(b);
    }

    private static String describe(Object v) {
        String t = v instanceof Map ? "object" : v instanceof List ? "array" : v instanceof String ? "string"
                : isInteger(v) ? "integer" : v instanceof Number ? "number" : v instanceof Boolean ? "boolean" : v.getClass().getSimpleName();
        return v instanceof Map || v instanceof List ? t : t + " " + describeValue(v);
    }

    private static String describeValue(Object v) {
        return v instanceof String ? "\"" + v + "\"" : String.valueOf(v);
    }

    private static String at(String path) {
        return path.isEmpty() ? "" : path + ": ";
    }

    /** " (did you mean "x"?)" for a near miss among the allowed names. */
    static String suggestion(String key, Iterable<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = Levenshtein.distance(key.toLowerCase(), c.toLowerCase());
            if (d < bestDistance) {
                bestDistance = d;
                best = c;
            }
        }
        return best != null && bestDistance <= Math.max(2, key.length() / 4) ? " (did you mean \"" + best + "\"?)" : "";
    }
}
