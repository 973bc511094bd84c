#!/usr/bin/env bash
# Deploys the pipeline (k8s/overlays/<env>) to the current kubectl context.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
namespace="heartbeats"
default_bucket="heartbeats-state"

usage() {
  cat <<USAGE
Usage: scripts/k8s-deploy.sh <env> [options]

Deploys the heartbeat pipeline to the current kubectl context: renders k8s/overlays/<env> with kustomize,
checks the prerequisites, re-creates the one-shot Jobs (schema, bucket) and applies everything.
Environments: $(envs | tr '\n' ' ')

Options:
  --bucket NAME   object-storage bucket for checkpoints, savepoints and HA (default: $default_bucket)
  --wait          wait until Kafka is ready, the schema is applied and every job runs (up to 20 min)
  --render        print the manifests that would be applied and exit (needs no cluster)
  --skip-checks   do not check operators (CRDs) and Secrets before applying
  -h, --help      this text

Prerequisites (k8s/README.md): Flink Kubernetes Operator 1.15, Strimzi, YugabyteDB operator, Prometheus operator;
the job image (scripts/k8s-build-image.sh); for prod the Secrets heartbeats-db, yugabytedb-admin and
heartbeats-object-storage in namespace $namespace.
USAGE
}

envs() { for d in "$root"/k8s/overlays/*/; do basename "$d"; done; }

env_name="" bucket="$default_bucket" wait=false render=false checks=true
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bucket) bucket="${2:?--bucket needs a value}"; shift 2 ;;
    --wait) wait=true; shift ;;
    --render) render=true; shift ;;
    --skip-checks) checks=false; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "k8s-deploy: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    *) if [[ -n "$env_name" ]]; then echo "k8s-deploy: one environment only" >&2; exit 2; fi; env_name="$1"; shift ;;
  esac
done
if [[ -z "$env_name" ]]; then usage >&2; exit 2; fi
overlay="$root/k8s/overlays/$env_name"
if [[ ! -f "$overlay/kustomization.yaml" ]]; then
  echo "k8s-deploy: unknown environment '$env_name' (one of: $(envs | tr '\n' ' '))" >&2; exit 2
fi
if [[ ! "$bucket" =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]]; then
  echo "k8s-deploy: --bucket '$bucket' is not a valid bucket name" >&2; exit 2
fi
command -v kubectl >/dev/null 2>&1 || { echo "k8s-deploy: kubectl not found" >&2; exit 1; }

manifests="$(kubectl kustomize "$overlay")"
if [[ "$bucket" != "$default_bucket" ]]; then
  # Every object-storage URI of the manifests (checkpoints, savepoints, HA; job args) and the local bucket Job.
  manifests="${manifests//s3:\/\/$default_bucket\//s3://$bucket/}"
  manifests="${manifests//local\/$default_bucket/local/$bucket}"
fi
if $render; then printf '%s\n' "$manifests"; exit 0; fi

if $checks; then
  missing=()
  for crd in flinkdeployments.flink.apache.org flinkstatesnapshots.flink.apache.org kafkas.kafka.strimzi.io \
             kafkanodepools.kafka.strimzi.io kafkatopics.kafka.strimzi.io ybclusters.yugabyte.com \
             podmonitors.monitoring.coreos.com; do
    kubectl get crd "$crd" >/dev/null 2>&1 || missing+=("$crd")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    echo "k8s-deploy: these CRDs are missing (install the operators first, see k8s/README.md): ${missing[*]}" >&2
    exit 1
  fi
  if ! grep -q '^kind: Secret$' <<<"$manifests"; then
    absent=()
    for s in heartbeats-db yugabytedb-admin heartbeats-object-storage; do
      kubectl -n "$namespace" get secret "$s" >/dev/null 2>&1 || absent+=("$s")
    done
    if [[ ${#absent[@]} -gt 0 ]]; then
      echo "k8s-deploy: $env_name expects these Secrets in namespace $namespace: ${absent[*]}" >&2
      echo "  kubectl create namespace $namespace" >&2
      echo "  kubectl -n $namespace create secret generic heartbeats-db --from-literal=password=..." >&2
      echo "  kubectl -n $namespace create secret generic yugabytedb-admin --from-literal=password=..." >&2
      echo "  kubectl -n $namespace create secret generic heartbeats-object-storage \\" >&2
      echo "      --from-literal=AWS_ACCESS_KEY_ID=... --from-literal=AWS_SECRET_ACCESS_KEY=..." >&2
      exit 1
    fi
  fi
fi

# A Job's pod template cannot change in place, and both Jobs are idempotent: run them afresh on every deploy.
kubectl -n "$namespace" delete job heartbeats-schema minio-bucket --ignore-not-found >/dev/null 2>&1 || true
printf '%s\n' "$manifests" | kubectl apply -f -

if $wait; then
  echo "k8s-deploy: waiting for Kafka, the schema and the jobs ..."
  kubectl -n "$namespace" wait kafka/heartbeats --for=condition=Ready --timeout=15m
  kubectl -n "$namespace" wait job/heartbeats-schema --for=condition=Complete --timeout=20m
  kubectl -n "$namespace" wait flinkdeployments --all --for=jsonpath='{.status.jobStatus.state}'=RUNNING --timeout=10m
fi
echo "k8s-deploy: applied $env_name. Status: scripts/k8s-status.sh $env_name"
