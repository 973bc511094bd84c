package dev.heartbeats.k8s;

import dev.heartbeats.k8s.support.SchemaValidator;
import dev.heartbeats.k8s.support.Yaml;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The strict validator on the keywords the Flink CRDs happen not to use (required, formats, bounds, ...). */
class SchemaValidatorTest {
    private static final Map<String, Object> SCHEMA = Yaml.load("""
            type: object
            required: [name, replicas]
            properties:
              name: {type: string, pattern: '^[a-z]+$', minLength: 2, maxLength: 8}
              replicas: {type: integer, format: int32, minimum: 1, maximum: 5}
              ratio: {type: number, exclusiveMinimum: true, minimum: 0}
              when: {type: string, format: date-time}
              data: {type: string, format: byte}
              port: {anyOf: [{type: integer}, {type: string}], x-kubernetes-int-or-string: true}
              labels: {type: object, additionalProperties: {type: string}}
              free: {type: object, x-kubernetes-preserve-unknown-fields: true}
              maybe: {type: string, nullable: true}
              never: {type: string}
              list: {type: array, minItems: 1, maxItems: 2, uniqueItems: true, items: {type: string, enum: [a, b, c]}}
              closed: {type: object}
              embedded: {type: object, x-kubernetes-embedded-resource: true, properties: {spec: {type: object}}}
              oneOf: {type: string, oneOf: [{pattern: '^a'}, {pattern: 'z$'}]}
            """);

    private static List<String> errors(String yaml) {
        return SchemaValidator.validate(Yaml.load(yaml), SCHEMA);
    }

    @Test
    void aValidObjectPasses() {
        assertThat(errors("""
                name: abc
                replicas: 3
                ratio: 0.5
                when: "2025-01-01T00:00:00Z"
                data: aGVsbG8=
                port: http
                labels: {a: b}
                free: {anything: [1, {goes: here}]}
                maybe: null
                list: [a, b]
                embedded: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {}}
                oneOf: abc
                """)).isEmpty();
    }

    @Test
    void requiredFieldsMustBeThere() {
        assertThat(errors("name: abc")).containsExactly("required field \"replicas\" is missing");
    }

    @Test
    void formatsAndBoundsAreChecked() {
        assertThat(errors("{name: abc, replicas: 3000000000}")).contains("replicas: 3000000000 is out of range for format int32",
                "replicas: 3000000000 must be <= 5");
        assertThat(errors("{name: abc, replicas: 0}")).containsExactly("replicas: 0 must be >= 1");
        assertThat(errors("{name: abc, replicas: 1, ratio: 0}")).containsExactly("ratio: 0 must be > 0");
        assertThat(errors("{name: abc, replicas: 1, when: yesterday}")).containsExactly("when: \"yesterday\" is not an RFC 3339 date-time");
        assertThat(errors("{name: abc, replicas: 1, data: '***'}")).containsExactly("data: \"***\" is not base64 (format byte)");
        assertThat(errors("{name: Abc, replicas: 1}")).containsExactly("name: \"Abc\" does not match the pattern ^[a-z]+$");
        assertThat(errors("{name: abcdefghij, replicas: 1}")).containsExactly("name: has 10 characters, at most 8 allowed");
    }

    @Test
    void typesAreStrict() {
        assertThat(errors("{name: abc, replicas: '3'}")).containsExactly("replicas: must be of type integer, got string \"3\"");
        assertThat(errors("{name: abc, replicas: 3.0}")).containsExactly("replicas: must be of type integer, got number 3.0");
        assertThat(errors("{name: abc, replicas: 1, port: 1.5}")).containsExactly("port: must be an integer or a string, got number 1.5");
        assertThat(errors("{name: abc, replicas: 1, labels: {a: 1}}")).containsExactly("labels.a: must be of type string, got integer 1");
        assertThat(errors("{name: abc, replicas: 1, never: null}")).containsExactly("never: must not be null (the schema does not allow null here)");
        assertThat(errors("{name: on, replicas: 1}")).as("YAML 1.1: unquoted on is a boolean, as for kubectl")
                .containsExactly("name: must be of type string, got boolean true");
    }

    @Test
    void unknownFieldsAreErrorsUnlessPreserved() {
        assertThat(errors("{name: abc, replicas: 1, replica: 1}")).containsExactly("unknown field \"replica\" (did you mean \"replicas\"?)");
        assertThat(errors("{name: abc, replicas: 1, closed: {x: 1}}")).containsExactly("unknown field \"closed.x\"");
        assertThat(errors("{name: abc, replicas: 1, embedded: {apiVersion: v1, spec: {}, status: {}}}"))
                .containsExactly("unknown field \"embedded.status\"");
    }

    @Test
    void arraysAndCombinators() {
        assertThat(errors("{name: abc, replicas: 1, list: []}")).containsExactly("list: has 0 items, at least 1 allowed");
        assertThat(errors("{name: abc, replicas: 1, list: [a, a]}")).containsExactly("list: items must be unique");
        assertThat(errors("{name: abc, replicas: 1, list: [d]}")).containsExactly("list[0]: unsupported value \"d\": supported values: \"a\", \"b\", \"c\"");
        assertThat(errors("{name: abc, replicas: 1, oneOf: abz}")).containsExactly("oneOf: must match exactly one of oneOf, matches 2");
    }

    @Test
    void duplicateKeysAreRejectedWhenParsing() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Yaml.load("a: 1\na: 2")).hasMessageContaining("found duplicate key a");
    }
}
