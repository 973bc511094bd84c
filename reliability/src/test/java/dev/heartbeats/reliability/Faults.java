package dev.heartbeats.reliability;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.common.eventtime.Watermark;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Injected failures: a map and a sink wrapper that throw at the N-th record of an attempt (on subtask 0 only, so that
 * one injection is one failover), as long as their named budget lasts. The budgets are static: the MiniCluster runs
 * in this JVM, and they outlive the restarts they cause.
 */
final class Faults {
    private static final Map<String, AtomicInteger> BUDGETS = new ConcurrentHashMap<>();
    static final List<String> LOG = new CopyOnWriteArrayList<>();

    private Faults() {}

    static void arm(String name, int times) {
        BUDGETS.put(name, new AtomicInteger(times));
    }

    static int left(String name) {
        AtomicInteger b = BUDGETS.get(name);
        return b == null ? 0 : b.get();
    }

    static boolean take(String name) {
        AtomicInteger b = BUDGETS.get(name);
        if (b == null) return false;
        while (true) {
            int n = b.get();
            if (n <= 0) return false;
            if (b.compareAndSet(n, n - 1)) {
                LOG.add(System.currentTimeMillis() + " " + name);
                return true;
            }
        }
    }

    /** Thrown on purpose. */
    static final class InjectedFault extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InjectedFault(String message) {
            super(message);
        }
    }

    /** An identity map that throws at the N-th record of an attempt while its budget lasts. */
    static final class FailingMap<T> extends RichMapFunction<T, T> {
        private static final long serialVersionUID = 1L;
        private final String name;
        private final long failAt;
        private transient long seen;
        private transient boolean armed;

        FailingMap(String name, long failAt) {
            this.name = name;
            this.failAt = failAt;
        }

        @Override
        public void open(OpenContext ctx) {
            armed = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0;
        }

        @Override
        public T map(T value) {
            if (armed && ++seen == failAt && take(name)) {
                throw new InjectedFault("injected failure '" + name + "' at record " + failAt + " of this attempt");
            }
            return value;
        }
    }

    /** Wraps a sink; its writer throws at the N-th record of an attempt while the budget lasts. */
    static final class FailingSink<T> implements Sink<T> {
        private static final long serialVersionUID = 1L;
        private final Sink<T> inner;
        private final String name;
        private final long failAt;

        FailingSink(Sink<T> inner, String name, long failAt) {
            this.inner = inner;
            this.name = name;
            this.failAt = failAt;
        }

        @Override
        public SinkWriter<T> createWriter(WriterInitContext context) throws IOException {
            SinkWriter<T> w = inner.createWriter(context);
            boolean armed = context.getTaskInfo().getIndexOfThisSubtask() == 0;
            return new SinkWriter<T>() {
                long seen;

                @Override
                public void write(T element, Context ctx) throws IOException, InterruptedException {
                    if (armed && ++seen == failAt && take(name)) {
                        throw new InjectedFault("injected failure '" + name + "' at record " + failAt + " of this attempt");
                    }
                    w.write(element, ctx);
                }

                @Override
                public void flush(boolean endOfInput) throws IOException, InterruptedException {
                    w.flush(endOfInput);
                }

                @Override
                public void writeWatermark(Watermark watermark) throws IOException, InterruptedException {
                    w.writeWatermark(watermark);
                }

                @Override
                public void close() throws Exception {
                    w.close();
                }
            };
        }
    }
}
