#!/usr/bin/env bash
# Rehearses a savepoint upgrade locally: version A of the jobs on live generated traffic (embedded Kafka and
# PostgreSQL, a Flink MiniCluster with RocksDB), stop with a savepoint, version B from that savepoint while the traffic
# goes on, then checks the database against the contract over every heartbeat sent. See savepoints/README.md.
#   scripts/upgrade-rehearsal.sh                                  A and B = this build, all jobs, 400 heartbeats/s
#   scripts/upgrade-rehearsal.sh --b-jars ../next                 B = the job jars of another built checkout
#   scripts/upgrade-rehearsal.sh --jobs segments --rate 1000 --before 60s --after 60s
#   scripts/upgrade-rehearsal.sh --help                           every setting
# Builds the suite first when a source changed since the last build (MVN_ARGS=-o for an offline build).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$root/savepoints/run-main.sh" when-stale dev.heartbeats.savepoints.UpgradeRehearsal "$@"
