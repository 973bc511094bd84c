package dev.heartbeats.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the machine is and how busy it is: CPU model, cores, memory, load average, and CPU time of this JVM, of the
 * PostgreSQL server (postmaster and its backends) and of the whole machine. Linux /proc only; elsewhere the values
 * are NaN and the report says so.
 */
final class Machine {
    private Machine() {}

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (IOException ignored) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    static String memory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("\\D+", ""));
                    return String.format("%.0f GiB", kb / 1024.0 / 1024.0);
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // not Linux
        }
        return "?";
    }

    /** The 1-minute load average (runnable + uninterruptible tasks), as /proc/loadavg says. */
    static double loadAvg1() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** "1m 5m 15m" load averages. */
    static String loadAvg() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return String.format("%.2f", loadAvg1());
        }
    }

    static String describe() {
        return cpuModel() + ", " + cores() + " cores, " + memory() + ", " + System.getProperty("os.name") + " "
                + System.getProperty("os.version") + ", Java " + System.getProperty("java.version");
    }

    /** CPU seconds this JVM has used (every thread: Kafka broker, Flink, the harness). */
    /**
     * The heap this JVM (where the MiniCluster runs) holds live: the tenured pools' use after their last collection,
     * plus what the other pools use now. Bytes.
     */
    static long heapInUse() {
        long used = 0;
        for (java.lang.management.MemoryPoolMXBean p : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() != java.lang.management.MemoryType.HEAP) continue;
            java.lang.management.MemoryUsage after = p.getCollectionUsage();
            boolean tenured = p.getName().contains("Old") || p.getName().contains("Tenured");
            used += tenured && after != null && after.getUsed() > 0 ? after.getUsed() : p.getUsage().getUsed();
        }
        return used;
    }

    static double processCpuSeconds() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    /** Busy and total jiffies of the whole machine (/proc/stat), to compute how busy it was between two reads. */
    static long[] machineJiffies() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) total += Long.parseLong(f[i]);
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[] {total - idle, total};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    static double busyFraction(long[] before, long[] after) {
        long total = after[1] - before[1];
        return total <= 0 ? Double.NaN : (after[0] - before[0]) / (double) total;
    }

    /**
     * CPU seconds of a process and its children (live ones by their own counters, exited ones through the parent's
     * cumulative child counters): for the PostgreSQL postmaster that is the whole server with every backend.
     */
    static double processTreeCpuSeconds(long pid) {
        if (pid <= 0) return Double.NaN;
        double hz = 100.0; // USER_HZ: 100 on every Linux we run on
        long[] own = stat(pid);
        if (own == null) return Double.NaN;
        long ticks = own[0] + own[1] + own[2] + own[3];
        try (var dirs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) dirs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) continue;
                long child = Long.parseLong(name);
                long[] s = stat(child);
                if (s != null && s[4] == pid) ticks += s[0] + s[1];
            }
        } catch (IOException e) {
            return Double.NaN;
        }
        return ticks / hz;
    }

    /** utime, stime, cutime, cstime, ppid of a process, or null. */
    static long[] stat(long pid) {
        try {
            String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) may contain spaces: fields after it start behind the last ')'.
            List<String> f = List.of(s.substring(s.lastIndexOf(')') + 2).trim().split("\\s+"));
            // f.get(0) is field 3 (state); ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
            return new long[] {Long.parseLong(f.get(11)), Long.parseLong(f.get(12)), Long.parseLong(f.get(13)), Long.parseLong(f.get(14)),
                    Long.parseLong(f.get(1))};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The parent of a process (for a PostgreSQL backend: the postmaster), or -1. */
    static long parentOf(long pid) {
        long[] s = stat(pid);
        return s == null ? -1 : s[4];
    }
}
