#!/usr/bin/env bash
# Removes the pipeline deployed from k8s/overlays/<env>; keeps the data unless --purge.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
namespace="heartbeats"

usage() {
  cat <<USAGE
Usage: scripts/k8s-teardown.sh <env> [options]

Removes the pipeline deployed from k8s/overlays/<env> (namespace $namespace): first the FlinkDeployments
(optionally stopping each job with a savepoint), then everything else the overlay created. Kept, unless --purge:
the namespace, the Secrets, the persistent volume claims (Kafka and YugabyteDB data, local MinIO with the
checkpoints and savepoints) and the FlinkStateSnapshot resources.
Environments: $(envs | tr '\n' ' ')

Options:
  --savepoint   stop every running job with a savepoint first (spec.job.state: suspended), and print its path
  --purge       delete the whole namespace $namespace instead: all data, secrets and savepoint records
  --yes         do not ask for confirmation
  -h, --help    this text
USAGE
}

envs() { for d in "$root"/k8s/overlays/*/; do basename "$d"; done; }

env_name="" savepoint=false purge=false yes=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --savepoint) savepoint=true; shift ;;
    --purge) purge=true; shift ;;
    --yes) yes=true; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "k8s-teardown: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    *) env_name="$1"; shift ;;
  esac
done
if [[ -z "$env_name" ]]; then usage >&2; exit 2; fi
overlay="$root/k8s/overlays/$env_name"
if [[ ! -f "$overlay/kustomization.yaml" ]]; then
  echo "k8s-teardown: unknown environment '$env_name' (one of: $(envs | tr '\n' ' '))" >&2; exit 2
fi
command -v kubectl >/dev/null 2>&1 || { echo "k8s-teardown: kubectl not found" >&2; exit 1; }
k() { kubectl -n "$namespace" "$@"; }

what="the $env_name pipeline in namespace $namespace (context $(kubectl config current-context 2>/dev/null || echo '?'))"
$purge && what="$what, WITH ALL ITS DATA (namespace deleted)"
if ! $yes; then
  if [[ ! -t 0 ]]; then echo "k8s-teardown: about to remove $what; re-run with --yes to confirm" >&2; exit 2; fi
  read -r -p "Remove $what? [y/N] " answer
  [[ "$answer" == y || "$answer" == Y ]] || { echo "k8s-teardown: nothing removed"; exit 1; }
fi

read -r -a deployments <<<"$(k get flinkdeployments -o jsonpath='{.items[*].metadata.name}' 2>/dev/null || true)"
if $savepoint; then
  for fd in "${deployments[@]}"; do
    if [[ "$(k get flinkdeployment "$fd" -o jsonpath='{.status.jobStatus.state}')" != RUNNING ]]; then
      echo "k8s-teardown: $fd is not running: no savepoint"; continue
    fi
    echo "k8s-teardown: stopping $fd with a savepoint ..."
    k patch flinkdeployment "$fd" --type merge -p '{"spec":{"job":{"state":"suspended"}}}'
  done
  for fd in "${deployments[@]}"; do
    k wait "flinkdeployment/$fd" --for=jsonpath='{.status.lifecycleState}'=SUSPENDED --timeout=10m || true
    echo "k8s-teardown: $fd savepoint: $(k get flinkdeployment "$fd" -o jsonpath='{.status.jobStatus.upgradeSavepointPath}')"
  done
fi

if $purge; then
  kubectl delete namespace "$namespace" --ignore-not-found --wait=true
  echo "k8s-teardown: namespace $namespace deleted"; exit 0
fi

# The jobs first (the operator cleans up their clusters and HA data), then the rest of the overlay.
if [[ ${#deployments[@]} -gt 0 ]]; then
  k delete flinkdeployment "${deployments[@]}" --wait=true --timeout=5m
fi
rendered="$(kubectl kustomize "$overlay")"
existing="$(printf '%s\n' "$rendered" | kubectl get -f - -o name --ignore-not-found 2>/dev/null || true)"
mapfile -t remove < <(printf '%s\n' "$existing" | grep -v -E '^(namespace|secret|persistentvolumeclaim)/' | grep -v '^$' || true)
if [[ ${#remove[@]} -gt 0 ]]; then
  k delete "${remove[@]}" --ignore-not-found --wait=true --timeout=10m
fi
# YugabyteDB is a Helm release; uninstalling it keeps its StatefulSets' volumes (the data).
if command -v helm >/dev/null 2>&1 && helm -n "$namespace" status yugabyte >/dev/null 2>&1; then
  helm -n "$namespace" uninstall yugabyte --wait
fi
echo "k8s-teardown: removed the $env_name pipeline; kept the namespace, Secrets, volumes and savepoint records (--purge removes them)"
