#!/usr/bin/env bash
# Deploys the pipeline (k8s/overlays/<env>, plus the YugabyteDB Helm release) to the current kubectl context, with the
# operator versions pinned below (the versions of the CRDs in k8s/crds that the manifests are validated against).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
namespace="heartbeats"
default_bucket="heartbeats-state"

# Pinned versions: change one together with its CRDs or chart values in k8s/crds, k8s/charts and k8s/README.md.
cert_manager_version="v1.16.2"
flink_operator_version="1.15.0"
strimzi_version="1.2.0"
prometheus_operator_version="v0.93.0"
yugabyte_chart_version="2026.1.0"
flink_operator_repo="https://downloads.apache.org/flink/flink-kubernetes-operator-$flink_operator_version/"
strimzi_chart="oci://quay.io/strimzi-helm/strimzi-kafka-operator"
yugabyte_repo="https://charts.yugabyte.com"

usage() {
  cat <<USAGE
Usage: scripts/k8s-deploy.sh <env> [options]

Deploys the heartbeat pipeline to the current kubectl context: renders k8s/overlays/<env> with kustomize, checks the
prerequisites, re-creates the one-shot Jobs (schema, bucket), applies everything, and installs or upgrades YugabyteDB
(Helm chart yugabytedb/yugabyte $yugabyte_chart_version with k8s/overlays/<env>/yugabyte-values.yaml).
Environments: $(envs | tr '\n' ' ')

Options:
  --install-operators  first install or upgrade the operators, pinned: cert-manager $cert_manager_version, Flink Kubernetes
                       Operator $flink_operator_version, Strimzi $strimzi_version (both watching namespace $namespace), and the
                       Prometheus Operator $prometheus_operator_version if no Prometheus operator's CRDs are installed
  --bucket NAME        object-storage bucket for checkpoints, savepoints and HA (default: $default_bucket)
  --wait               wait until YugabyteDB and Kafka are ready, the schema is applied and every job runs (up to 30 min)
  --render             print the manifests that would be applied and exit (needs no cluster)
  --dry-run            print the commands that would change the cluster instead of running them (reads nothing)
  --skip-checks        do not check CRDs, operator versions and Secrets before applying
  -h, --help           this text

Needs kubectl 1.27+ and helm 3. Prerequisites and every step: k8s/README.md. For prod the Secrets
$(printf '%s ' "${secrets[@]}")and heartbeats-registry must exist in namespace $namespace; for local the
missing ones are created with random passwords.
USAGE
}

# The Secrets the manifests read (k8s/README.md, "Security"); none of them is in the manifests.
secrets=(heartbeats-db-segments heartbeats-db-watch-time heartbeats-db-ad-impressions heartbeats-db-archive yugabytedb-admin heartbeats-object-storage heartbeats-grafana-db)
# The key of each, for the local ones this script creates.
secret_keys() {
  case "$1" in
    yugabytedb-admin) echo ysqlPassword ;;
    heartbeats-object-storage) echo AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY ;;
    *) echo password ;;
  esac
}

# Creates a missing Secret with random values, read from files (never on a command line).
create_random_secret() {
  local name="$1" dir args=()
  dir="$(mktemp -d)"
  for key in $(secret_keys "$name"); do
    (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > "$dir/$key")
    args+=("--from-file=$key=$dir/$key")
  done
  run kubectl -n "$namespace" create secret generic "$name" "${args[@]}"
  rm -rf "$dir"
}

envs() { for d in "$root"/k8s/overlays/*/; do basename "$d"; done; }

env_name="" bucket="$default_bucket" wait=false render=false checks=true operators=false dry_run=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --install-operators) operators=true; shift ;;
    --bucket) bucket="${2:?--bucket needs a value}"; shift 2 ;;
    --wait) wait=true; shift ;;
    --render) render=true; shift ;;
    --dry-run) dry_run=true; shift ;;
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
  # Every object-storage URI of the manifests (checkpoints, savepoints, HA) and the local bucket Job.
  manifests="${manifests//s3:\/\/$default_bucket\//s3://$bucket/}"
  manifests="${manifests//local\/$default_bucket/local/$bucket}"
fi
if $render; then printf '%s\n' "$manifests"; exit 0; fi
if ! $dry_run; then
  command -v helm >/dev/null 2>&1 || { echo "k8s-deploy: helm (3.x) not found: it installs YugabyteDB and the operators" >&2; exit 1; }
fi

# Commands that change the cluster go through run: printed, and only printed with --dry-run.
run() { echo "+ $*"; if ! $dry_run; then "$@"; fi; }
run_stdin() { echo "+ $* <<manifests"; if ! $dry_run; then "$@"; else cat >/dev/null; fi; }
has_crd() { ! $dry_run && kubectl get crd "$1" >/dev/null 2>&1; }

# The namespace first: the operators' Helm releases create their RBAC for it.
kubectl create namespace "$namespace" --dry-run=client -o yaml | run_stdin kubectl apply -f -

if $operators; then
  run kubectl apply -f "https://github.com/cert-manager/cert-manager/releases/download/$cert_manager_version/cert-manager.yaml"
  run kubectl -n cert-manager wait deployment --all --for=condition=Available --timeout=5m
  run helm upgrade --install flink-kubernetes-operator flink-kubernetes-operator --repo "$flink_operator_repo" \
    --version "$flink_operator_version" -n flink-operator --create-namespace --set "watchNamespaces={$namespace}" --wait
  run helm upgrade --install strimzi-cluster-operator "$strimzi_chart" --version "$strimzi_version" \
    -n strimzi --create-namespace --set "watchNamespaces={$namespace}" --wait
  if ! has_crd podmonitors.monitoring.coreos.com; then
    run kubectl apply --server-side -f \
      "https://github.com/prometheus-operator/prometheus-operator/releases/download/$prometheus_operator_version/bundle.yaml"
  fi
fi

if $checks && ! $dry_run; then
  missing=()
  for crd in flinkdeployments.flink.apache.org flinkstatesnapshots.flink.apache.org kafkas.kafka.strimzi.io \
             kafkanodepools.kafka.strimzi.io kafkatopics.kafka.strimzi.io podmonitors.monitoring.coreos.com \
             prometheusrules.monitoring.coreos.com; do
    has_crd "$crd" || missing+=("$crd")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    echo "k8s-deploy: these CRDs are missing (install the operators first: --install-operators, or k8s/README.md): ${missing[*]}" >&2
    exit 1
  fi
  # Strimzi before 1.0 serves kafka.strimzi.io/v1beta2 only; the manifests are kafka.strimzi.io/v1.
  served="$(kubectl get crd kafkas.kafka.strimzi.io -o jsonpath='{.spec.versions[?(@.served==true)].name}')"
  if ! grep -qw v1 <<<"$served"; then
    echo "k8s-deploy: the installed Strimzi serves kafka.strimzi.io ${served:-nothing}, not v1: install Strimzi $strimzi_version (--install-operators)" >&2
    exit 1
  fi
  if [[ "$env_name" != local ]]; then
    absent=()
    for s in "${secrets[@]}" heartbeats-registry; do
      kubectl -n "$namespace" get secret "$s" >/dev/null 2>&1 || absent+=("$s")
    done
    if [[ ${#absent[@]} -gt 0 ]]; then
      echo "k8s-deploy: $env_name expects these Secrets in namespace $namespace: ${absent[*]} (commands: k8s/README.md, \"Production\")" >&2
      exit 1
    fi
  fi
fi

# A laptop cluster: development Secrets with random passwords, created once (kept across deploys).
if [[ "$env_name" == local ]]; then
  for s in "${secrets[@]}"; do
    if $dry_run || ! kubectl -n "$namespace" get secret "$s" >/dev/null 2>&1; then create_random_secret "$s"; fi
  done
fi

# A Job's pod template cannot change in place, and both Jobs are idempotent: run them afresh on every deploy.
run kubectl -n "$namespace" delete job heartbeats-schema minio-bucket --ignore-not-found
printf '%s\n' "$manifests" | run_stdin kubectl apply -f -

# YugabyteDB after the manifests: its superuser password comes from the Secret yugabytedb-admin (generated by the
# local overlay, created by you in prod).
helm_wait=()
if $wait; then helm_wait=(--wait --timeout 20m); fi
run helm upgrade --install yugabyte yugabyte --repo "$yugabyte_repo" --version "$yugabyte_chart_version" \
  -n "$namespace" -f "$overlay/yugabyte-values.yaml" "${helm_wait[@]}"

if $wait; then
  echo "k8s-deploy: waiting for Kafka, the schema and the jobs ..."
  run kubectl -n "$namespace" wait kafka/heartbeats --for=condition=Ready --timeout=15m
  run kubectl -n "$namespace" wait job/heartbeats-schema --for=condition=Complete --timeout=20m
  run kubectl -n "$namespace" wait flinkdeployments --all --for=jsonpath='{.status.jobStatus.state}'=RUNNING --timeout=10m
fi
if $dry_run; then echo "k8s-deploy: dry run, nothing changed ($env_name)"; else echo "k8s-deploy: applied $env_name. Status: scripts/k8s-status.sh $env_name"; fi
