#!/usr/bin/env bash
# Shows the state of the pipeline in the current kubectl context: the operator's view of every FlinkDeployment
# (lifecycle, job state, last savepoint), the savepoints, and the stack around it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
namespace="heartbeats"

usage() {
  cat <<USAGE
Usage: scripts/k8s-status.sh <env> [options]

Prints, for the pipeline deployed from k8s/overlays/<env> (namespace $namespace):
  - every FlinkDeployment: lifecycle state, job state, JobManager deployment, parallelism, last savepoint, error
  - the newest savepoints (FlinkStateSnapshot resources) per job
  - Kafka, topics, YugabyteDB, the schema Job and the pods
Environments: $(envs | tr '\n' ' ')

Options:
  --flink-only    only the FlinkDeployments and their savepoints
  -h, --help      this text
USAGE
}

envs() { for d in "$root"/k8s/overlays/*/; do basename "$d"; done; }

env_name="" flink_only=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --flink-only) flink_only=true; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "k8s-status: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    *) env_name="$1"; shift ;;
  esac
done
if [[ -z "$env_name" ]]; then usage >&2; exit 2; fi
if [[ ! -f "$root/k8s/overlays/$env_name/kustomization.yaml" ]]; then
  echo "k8s-status: unknown environment '$env_name' (one of: $(envs | tr '\n' ' '))" >&2; exit 2
fi
command -v kubectl >/dev/null 2>&1 || { echo "k8s-status: kubectl not found" >&2; exit 1; }
k() { kubectl -n "$namespace" "$@"; }

echo "== FlinkDeployments (namespace $namespace, context $(kubectl config current-context 2>/dev/null || echo '?'))"
k get flinkdeployments -o custom-columns='NAME:.metadata.name,LIFECYCLE:.status.lifecycleState,JOB:.status.jobStatus.state,JOBMANAGER:.status.jobManagerDeploymentStatus,PARALLELISM:.spec.job.parallelism,IMAGE:.spec.image'

echo
echo "== Last savepoint per job"
for fd in $(k get flinkdeployments -o jsonpath='{.items[*].metadata.name}'); do
  # With snapshot resources (operator default): the newest completed FlinkStateSnapshot savepoint of this job.
  latest="$(k get flinkstatesnapshots --sort-by=.metadata.creationTimestamp \
      -o jsonpath="{range .items[?(@.spec.jobReference.name==\"$fd\")]}{.status.state}{'\t'}{.status.resultTimestamp}{'\t'}{.status.path}{'\n'}{end}" 2>/dev/null \
      | awk -F'\t' '$1 == "COMPLETED" && $3 != ""' | tail -n1)"
  if [[ -z "$latest" ]]; then
    # Without snapshot resources, the operator keeps it in the status.
    legacy="$(k get flinkdeployment "$fd" -o jsonpath='{.status.jobStatus.savepointInfo.lastSavepoint.location}' 2>/dev/null || true)"
    latest="${legacy:+COMPLETED	(status)	$legacy}"
  fi
  upgrade="$(k get flinkdeployment "$fd" -o jsonpath='{.status.jobStatus.upgradeSavepointPath}' 2>/dev/null || true)"
  error="$(k get flinkdeployment "$fd" -o jsonpath='{.status.error}' 2>/dev/null || true)"
  printf '%-16s %s\n' "$fd" "${latest:-no savepoint yet}"
  if [[ -n "$upgrade" ]]; then printf '%-16s upgrade savepoint: %s\n' "" "$upgrade"; fi
  if [[ -n "$error" ]]; then printf '%-16s ERROR: %s\n' "" "${error:0:400}"; fi
done

echo
echo "== Savepoints in progress or failed"
k get flinkstatesnapshots -o custom-columns='NAME:.metadata.name,JOB:.spec.jobReference.name,STATE:.status.state,TRIGGERED:.status.triggerTimestamp,ERROR:.status.error' 2>/dev/null \
  | awk 'NR == 1 || ($3 != "COMPLETED")' || true

if $flink_only; then exit 0; fi

echo
echo "== Kafka and topics"
k get kafka,kafkanodepools,kafkatopics 2>/dev/null || echo "(Strimzi resources not found)"
echo
echo "== YugabyteDB and the schema Job"
k get statefulsets yb-master yb-tserver 2>/dev/null || echo "(YugabyteDB not found: the Helm release yugabyte, scripts/k8s-deploy.sh)"
k get jobs 2>/dev/null || true
echo
echo "== Pods"
k get pods -o wide
