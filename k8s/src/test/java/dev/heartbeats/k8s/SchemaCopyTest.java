package dev.heartbeats.k8s;

import dev.heartbeats.k8s.support.Repo;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The schema Job applies k8s/base/schema/yugabyte.sql: it must be the suite's schema, byte for byte. */
class SchemaCopyTest {
    @Test
    void theSchemaJobAppliesTheSuitesOwnSchema() {
        String original = Repo.read(Repo.root().resolve("common/src/main/resources/schema/yugabyte.sql"));
        String copy = Repo.read(Repo.k8s().resolve("base/schema/yugabyte.sql"));
        assertThat(copy).as("k8s/base/schema/yugabyte.sql differs from common/src/main/resources/schema/yugabyte.sql: "
                + "copy it again (cp common/src/main/resources/schema/yugabyte.sql k8s/base/schema/)").isEqualTo(original);
    }
}
