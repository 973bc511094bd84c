package dev.heartbeats.testing;

import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.embedded.LocalStack;

import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real Kafka broker and one real PostgreSQL server per test JVM, shared by all tests of a module. Each test
 * takes a {@link Scenario}: its own topics and consumer group, and empty output tables.
 */
public final class TestBed {
    public static final int PARTITIONS = 2;
    private static TestBed shared;

    public final LocalStack stack;
    private final AtomicInteger scenarios = new AtomicInteger();

    private TestBed(LocalStack stack) {
        this.stack = stack;
    }

    public static synchronized TestBed shared() {
        if (shared == null) {
            try {
                shared = new TestBed(LocalStack.start(PARTITIONS));
            } catch (SQLException e) {
                throw new IllegalStateException("cannot start the test database", e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(shared.stack::close, "testbed-shutdown"));
        }
        return shared;
    }

    public JdbcConfig jdbc() {
        return stack.jdbc();
    }

    /** Fresh topics and group, emptied output tables. */
    public Scenario scenario(String name) {
        String id = name.replaceAll("[^A-Za-z0-9]", "-") + "-" + scenarios.incrementAndGet();
        return new Scenario(this, id);
    }
}
