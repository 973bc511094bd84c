#!/usr/bin/env bash
# Runs a main class of the savepoints module with the module's runtime class path, building the suite first:
#   savepoints/run-main.sh <always|when-stale> <main class> [arguments]
# Used by scripts/savepoints-regenerate.sh (always: goldens must come from the code as it is) and
# scripts/upgrade-rehearsal.sh (when a source changed since the last build, like scripts/hb). MVN_ARGS: extra Maven
# arguments (e.g. -o); SAVEPOINTS_JAVA_OPTS: JVM options (default -Xmx3g).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cp_file="$root/savepoints/target/classpath.txt"
build="${1:?always or when-stale}" main="${2:?main class}"
shift 2

stale() {
  [[ ! -f "$cp_file" ]] && return 0
  [[ -n "${HB_REBUILD:-}" ]] && return 0
  [[ -n "$(find "$root" -path '*/target' -prune -o \( -name '*.java' -o -name 'pom.xml' -o -name '*.sql' -o -name '*.csv' -o -name '*.properties' \) -newer "$cp_file" -print -quit)" ]]
}

if [[ "$build" == always ]] || stale; then
  echo "$(basename "$0"): building the suite (MVN_ARGS=${MVN_ARGS:-}) ..." >&2
  read -r -a mvn_args <<<"${MVN_ARGS:-}"
  (cd "$root" && mvn -B -q -ntp "${mvn_args[@]}" -DskipTests install -pl savepoints -am \
     && mvn -B -q -ntp "${mvn_args[@]}" -pl savepoints dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime) >&2
fi

opens="--add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.time=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.math=ALL-UNNAMED --add-opens=java.base/java.text=ALL-UNNAMED --add-opens=java.sql/java.sql=ALL-UNNAMED"
# shellcheck disable=SC2086
exec java ${SAVEPOINTS_JAVA_OPTS:--Xmx3g} -Dlog4j2.configurationFile=savepoints-log4j2.properties $opens \
  -cp "$root/savepoints/target/classes:$(cat "$cp_file")" "$main" "$@"
