#!/usr/bin/env bash
# Triggers a savepoint of one job through the Flink Kubernetes Operator.
set -euo pipefail

namespace="heartbeats"
jobs=(segments watch-time ad-impressions archive)

usage() {
  cat <<USAGE
Usage: scripts/k8s-savepoint.sh <job> [options]

Triggers a savepoint of a running job (FlinkDeployment <job> in namespace $namespace) by creating a
FlinkStateSnapshot resource; the operator takes it into the job's execution.checkpointing.savepoint-dir.
Jobs: ${jobs[*]}

Options:
  --wait            wait until the savepoint completes (up to 15 min) and print its path
  --format FORMAT   CANONICAL (portable across Flink versions and state backends; default) or NATIVE (faster)
  --nonce           instead: bump spec.job.savepointTriggerNonce (operators with snapshot resources disabled)
  --dry-run         print the FlinkStateSnapshot and exit (needs no cluster)
  -n, --namespace NS namespace (default: $namespace)
  -h, --help        this text

Savepoints are listed by scripts/k8s-status.sh <env>; a job restarts from one with spec.job.initialSavepointPath.
USAGE
}

job="" wait=false format="CANONICAL" nonce=false dry_run=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --wait) wait=true; shift ;;
    --format) format="${2:?--format needs a value}"; shift 2 ;;
    --nonce) nonce=true; shift ;;
    --dry-run) dry_run=true; shift ;;
    -n|--namespace) namespace="${2:?--namespace needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "k8s-savepoint: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    *) job="$1"; shift ;;
  esac
done
if [[ -z "$job" ]]; then usage >&2; exit 2; fi
if [[ ! " ${jobs[*]} " == *" $job "* ]]; then
  echo "k8s-savepoint: unknown job '$job' (one of: ${jobs[*]})" >&2; exit 2
fi
case "$format" in CANONICAL|NATIVE) ;; *) echo "k8s-savepoint: --format must be CANONICAL or NATIVE" >&2; exit 2 ;; esac

if $nonce; then
  patch="{\"spec\":{\"job\":{\"savepointTriggerNonce\":$(date +%s)}}}"
  if $dry_run; then echo "kubectl -n $namespace patch flinkdeployment $job --type merge -p '$patch'"; exit 0; fi
  kubectl -n "$namespace" patch flinkdeployment "$job" --type merge -p "$patch"
  echo "k8s-savepoint: savepoint of $job triggered (nonce); see .status.jobStatus.savepointInfo or scripts/k8s-status.sh"
  exit 0
fi

name="$job-manual-$(date -u +%Y%m%d-%H%M%S)"
manifest="apiVersion: flink.apache.org/v1beta1
kind: FlinkStateSnapshot
metadata:
  name: $name
  namespace: $namespace
  labels:
    app.kubernetes.io/name: $job
    app.kubernetes.io/part-of: heartbeat-sessions
    app.kubernetes.io/component: savepoint
spec:
  backoffLimit: 1
  jobReference:
    kind: FlinkDeployment
    name: $job
  savepoint:
    alreadyExists: false
    disposeOnDelete: false
    formatType: $format"
if $dry_run; then printf '%s\n' "$manifest"; exit 0; fi

command -v kubectl >/dev/null 2>&1 || { echo "k8s-savepoint: kubectl not found" >&2; exit 1; }
state="$(kubectl -n "$namespace" get flinkdeployment "$job" -o jsonpath='{.status.jobStatus.state}')"
if [[ "$state" != "RUNNING" ]]; then
  echo "k8s-savepoint: job $job is ${state:-not deployed}, not RUNNING: no savepoint taken" >&2; exit 1
fi
printf '%s\n' "$manifest" | kubectl create -f -
if $wait; then
  kubectl -n "$namespace" wait "flinkstatesnapshot/$name" --for=jsonpath='{.status.state}'=COMPLETED --timeout=15m
  echo "k8s-savepoint: $(kubectl -n "$namespace" get flinkstatesnapshot "$name" -o jsonpath='{.status.path}')"
else
  echo "k8s-savepoint: FlinkStateSnapshot $name created; follow it with: kubectl -n $namespace get flinkstatesnapshot $name -w"
fi
