#!/usr/bin/env bash
# Regenerates the golden savepoints of a release from the current code: savepoints/golden/<release>/<job>/
# (manifest.json, savepoint/, tables/) and savepoints/golden/<release>/input.records.gz. See savepoints/README.md.
#   scripts/savepoints-regenerate.sh                            goldens of the release this build prepares (pom version without -SNAPSHOT)
#   scripts/savepoints-regenerate.sh --release 0.2.0 --force    replace them (only while that release is not out yet)
#   scripts/savepoints-regenerate.sh --help                     every setting
# It builds the suite first (MVN_ARGS=-o for an offline build): a golden must be written by the code as it is now.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build=always
for a in "$@"; do
  if [[ "$a" == "--help" || "$a" == "-h" ]]; then build=when-stale; fi
done
exec "$root/savepoints/run-main.sh" "$build" dev.heartbeats.savepoints.GoldenSavepoints \
  --golden-dir "$root/savepoints/golden" --repo-root "$root" "$@"
