#!/usr/bin/env bash
# Upgrades the jobs' FlinkDeployments to a new build through savepoints and waits until every one runs the new
# version, or says what went wrong and how to roll back. Any CI can call it (.github/workflows/deploy.yml does).
set -euo pipefail

usage() {
  cat <<USAGE
Usage: scripts/ci-upgrade.sh (--overlay DIR | --manifest FILE) [options] [deployment ...]

Applies the FlinkDeployments of the manifests (upgradeMode: savepoint, last-state fallback off: the Flink Kubernetes
Operator stops each changed job with a savepoint and starts the new version from it), then waits, per deployment,
until the upgrade is done:
  status.observedGeneration = metadata.generation   (the operator has picked up the new spec)
  status.lifecycleState     = STABLE
  status.jobStatus.state    = RUNNING
  status.jobStatus.upgradeSavepointPath changed      (a savepoint was taken for this upgrade)
and then, from the JobManager itself:
  the JobManager Deployment runs the new image        (kubectl get deployment NAME: image, updated and ready)
  the job restored exactly that savepoint            (REST /jobs/<id>/checkpoints: latest.restored.external_path)
  a checkpoint completed after the restore           (latest.completed newer than latest.restored)
  no restart since                                   (REST /jobs/<id>/metrics numRestarts = 0)
and all of it holds for --stable-for; a restart in that time fails the upgrade. The REST calls go through the API
server's service proxy (<name>-rest:8081), so the deploy identity needs get on services/proxy (k8s/base/ci).
Deployments: the FlinkDeployments to wait for (default: every one in the manifests). A deployment whose spec did not
change (same generation) is left alone; a new one (no state yet) needs no restore, the rest holds.
The operator must not roll back on its own (kubernetes.operator.deployment.rollback.enabled "false", as in k8s/):
this script decides and prints the rollback, and refuses manifests that enable the operator's.

Options:
  -k, --overlay DIR      render this kustomize overlay (kubectl kustomize DIR), e.g. k8s/overlays/prod
  -f, --manifest FILE    rendered manifests to apply instead ('-': standard input)
  --image REF            set spec.image of every FlinkDeployment to REF (the build to deploy, e.g. registry/heartbeats/flink-jobs:0.2.0-1a2b3c4)
  --all-resources        apply every resource of the manifests, not only the FlinkDeployments
  -n, --namespace NS     namespace (default: heartbeats)
  --timeout DURATION     per deployment, for the whole upgrade (default: 15m)
  --pickup-timeout D     how long the operator may take to pick up the new spec (default: 2m)
  --stable-for D         how long the new job must stay STABLE/RUNNING before the upgrade counts (default: 60s)
  --poll D               status polling interval (default: 5s)
  --state-dir DIR        where the specs before the upgrade are saved, for a rollback (default: ./ci-upgrade-state)
  --dry-run              print what would be applied and exit
  -h, --help             this text
Durations: 500ms, 30s, 15m, 1h (a plain number is seconds).

Environment: KUBECTL (default: kubectl) is the kubectl to call; jq is required.

Exit codes: 0 upgraded (or nothing to upgrade), 2 usage, missing tools or operator rollback enabled, 3 kubectl apply
  failed, 4 the upgrade failed (savepoint failed, operator error, lifecycle FAILED or rolled back, no upgrade savepoint,
  the job did not restore the upgrade savepoint), 5 the new job failed or restarted after the upgrade, 6 the operator
  did not pick up the new spec, 7 timed out (the message says which condition was missing).

Rollback (printed with the exact values when an upgrade fails): re-apply the previous spec saved in --state-dir
(kubectl apply -f <state-dir>/<name>.previous.json): for a running job the operator upgrades back through a
savepoint. If the new job is not running (no savepoint can be taken; last-state fallback is off), redeploy the
previous image from the savepoint the upgrade took (the old version wrote it, so its state format is the old one):
  kubectl -n NS patch flinkdeployment NAME --type merge -p \\
    '{"spec":{"image":"<previous image>","job":{"initialSavepointPath":"<upgrade savepoint>","savepointRedeployNonce":<n+1>}}}'
USAGE
}

KUBECTL="${KUBECTL:-kubectl}"
namespace="heartbeats" overlay="" manifest="" image="" all_resources=false dry_run=false
timeout="15m" pickup_timeout="2m" stable_for="60s" poll="5s" state_dir="./ci-upgrade-state"
deployments=()

need() { [[ $# -ge 2 && -n "$2" ]] || { echo "ci-upgrade: $1 needs a value" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    -k|--overlay) need "$@"; overlay="$2"; shift 2 ;;
    -f|--manifest) need "$@"; manifest="$2"; shift 2 ;;
    --image) need "$@"; image="$2"; shift 2 ;;
    --all-resources) all_resources=true; shift ;;
    -n|--namespace) need "$@"; namespace="$2"; shift 2 ;;
    --timeout) need "$@"; timeout="$2"; shift 2 ;;
    --pickup-timeout) need "$@"; pickup_timeout="$2"; shift 2 ;;
    --stable-for) need "$@"; stable_for="$2"; shift 2 ;;
    --poll) need "$@"; poll="$2"; shift 2 ;;
    --state-dir) need "$@"; state_dir="$2"; shift 2 ;;
    --dry-run) dry_run=true; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "ci-upgrade: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    *) deployments+=("$1"); shift ;;
  esac
done

say() { printf 'ci-upgrade: %s\n' "$*"; }
fail() { local code="$1"; shift; printf 'ci-upgrade: FAILED: %s\n' "$*" >&2; exit "$code"; }

# Durations to milliseconds: 500ms, 1.5s, 30s, 15m, 1h, or plain seconds.
to_ms() {
  local v="$1"
  [[ "$v" =~ ^([0-9]+(\.[0-9]+)?)(ms|s|m|h)?$ ]] || { echo "ci-upgrade: '$v' is not a duration (e.g. 500ms, 30s, 15m, 1h)" >&2; exit 2; }
  awk -v n="${BASH_REMATCH[1]}" -v u="${BASH_REMATCH[3]:-s}" \
    'BEGIN { f = (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : 3600000; printf "%d\n", n * f }'
}
timeout_ms="$(to_ms "$timeout")"
pickup_ms="$(to_ms "$pickup_timeout")"
stable_ms="$(to_ms "$stable_for")"
poll_ms="$(to_ms "$poll")"
poll_s="$(awk -v ms="$poll_ms" 'BEGIN { printf "%.3f\n", ms / 1000 }')"
now_ms() { date +%s%3N; }

if [[ -n "$overlay" && -n "$manifest" ]] || [[ -z "$overlay" && -z "$manifest" ]]; then
  echo "ci-upgrade: give either --overlay or --manifest" >&2; usage >&2; exit 2
fi
command -v jq >/dev/null 2>&1 || { echo "ci-upgrade: jq is required (apt-get install jq)" >&2; exit 2; }
command -v "$KUBECTL" >/dev/null 2>&1 || { echo "ci-upgrade: $KUBECTL not found (set KUBECTL)" >&2; exit 2; }

# --- the manifests to apply ---------------------------------------------------------------------------------------
if [[ -n "$overlay" ]]; then
  rendered="$("$KUBECTL" kustomize "$overlay")" || fail 3 "kubectl kustomize $overlay failed"
elif [[ "$manifest" == "-" ]]; then
  rendered="$(cat)"
else
  [[ -f "$manifest" ]] || { echo "ci-upgrade: --manifest $manifest: no such file" >&2; exit 2; }
  rendered="$(cat "$manifest")"
fi
# Keep only the FlinkDeployment documents (unless --all-resources), and set their spec.image (--image). Rendered
# kustomize output puts top-level keys at column 0 and spec's fields at two spaces.
to_apply="$(awk -v all="$all_resources" -v image="$image" '
  function flush() { if (doc != "" && (all == "true" || fd)) { printf "%s%s", (n++ ? "---\n" : ""), doc } doc = ""; fd = 0; inspec = 0 }
  /^---[[:space:]]*$/ { flush(); next }
  {
    if ($0 ~ /^kind:[[:space:]]*FlinkDeployment[[:space:]]*$/) fd = 1
    if ($0 ~ /^[^[:space:]#]/) inspec = ($0 ~ /^spec:/)
    line = $0
    if (image != "" && inspec && line ~ /^  image:/) line = "  image: " image
    doc = doc line "\n"
  }
  END { flush() }' <<<"$rendered")"
[[ -n "$to_apply" ]] || fail 3 "the manifests hold no FlinkDeployment"
# The operator's own rollback would redeploy the previous spec behind this script's back (and its state checks):
# the script is the one that decides, so the manifests must leave the operator's rollback off.
if grep -qE '^ +kubernetes\.operator\.deployment\.rollback\.enabled: *"?true"?' <<<"$to_apply"; then
  echo "ci-upgrade: the manifests enable the operator's rollback (kubernetes.operator.deployment.rollback.enabled: true);" \
    "this script judges the upgrade and prints the rollback itself: set it to \"false\" (as k8s/base/flink/every-job.yaml does)" >&2
  exit 2
fi
mapfile -t in_manifests < <(awk '
  /^---/ { fd = 0; meta = 0; next }
  /^kind:[[:space:]]*FlinkDeployment/ { fd = 1 }
  /^metadata:/ { meta = 1; next }
  /^[^[:space:]]/ { meta = 0 }
  meta && /^  name:/ { name = $2 }
  fd && name != "" { print name; name = ""; fd = 0 }' <<<"$to_apply" | sort -u)
if [[ ${#deployments[@]} -eq 0 ]]; then deployments=("${in_manifests[@]}"); fi
for d in "${deployments[@]}"; do
  printf '%s\n' "${in_manifests[@]}" | grep -qx "$d" || fail 2 "deployment '$d' is not among the FlinkDeployments of the manifests (${in_manifests[*]})"
done
if $dry_run; then printf '%s\n' "$to_apply"; exit 0; fi

# --- status ---------------------------------------------------------------------------------------------------------
k() { "$KUBECTL" -n "$namespace" "$@"; }
get() { k get flinkdeployment "$1" -o json; }
field() { jq -r "$2 // \"\"" <<<"$1"; }
# status.error is a JSON-encoded exception; its message is what people need to read.
error_of() { jq -r '.status.error // "" | if . == "" then "" else (try (fromjson | (.message // tostring)) catch .) end' <<<"$1"; }
summary() {
  jq -r '"generation \(.metadata.generation) observed \(.status.observedGeneration // "-"), lifecycle \(.status.lifecycleState // "-"), job \(.status.jobStatus.state // "-"), JobManager \(.status.jobManagerDeploymentStatus // "-"), upgrade savepoint \(.status.jobStatus.upgradeSavepointPath // "-")"' <<<"$1"
}

mkdir -p "$state_dir"
declare -A prev_generation prev_savepoint prev_error prev_image prev_nonce is_new
for d in "${deployments[@]}"; do
  if before="$(get "$d" 2>/dev/null)"; then
    is_new[$d]=false
    prev_generation[$d]="$(field "$before" .metadata.generation)"
    prev_savepoint[$d]="$(field "$before" .status.jobStatus.upgradeSavepointPath)"
    prev_error[$d]="$(error_of "$before")"
    prev_image[$d]="$(field "$before" .spec.image)"
    prev_nonce[$d]="$(jq -r '.spec.job.savepointRedeployNonce // 0' <<<"$before")"
    # The spec as it was, applicable again (no status, no server-set metadata): the rollback target.
    jq '{apiVersion, kind, metadata: {name: .metadata.name, namespace: .metadata.namespace, labels: (.metadata.labels // {}),
         annotations: ((.metadata.annotations // {}) | del(."kubectl.kubernetes.io/last-applied-configuration"))}, spec}' \
      <<<"$before" >"$state_dir/$d.previous.json"
    say "$d before: $(summary "$before"), image ${prev_image[$d]}"
  else
    is_new[$d]=true
    say "$d: not deployed yet (a new job starts without state)"
  fi
done

# --- apply ----------------------------------------------------------------------------------------------------------
say "applying $(grep -c '^kind:' <<<"$to_apply") resource(s) to namespace $namespace${image:+ with image $image}"
if ! out="$(k apply -f - <<<"$to_apply" 2>&1)"; then
  printf '%s\n' "$out" >&2
  fail 3 "kubectl apply was refused (nothing changed): $(tail -n1 <<<"$out")"
fi
printf '%s\n' "$out"

rollback_help() {
  local d="$1" sp="$2"
  {
    echo "ci-upgrade: rollback of $d:"
    if [[ "${is_new[$d]}" == true ]]; then
      echo "  it is a new deployment: delete it (kubectl -n $namespace delete flinkdeployment $d) or fix and re-run."
      return
    fi
    echo "  - while the job runs: re-apply the spec from before the upgrade; the operator upgrades back through a savepoint:"
    echo "      kubectl apply -f $state_dir/$d.previous.json"
    if [[ -n "$sp" && "$sp" != "${prev_savepoint[$d]}" ]]; then
      echo "  - if it is not running (no savepoint can be taken, last-state fallback is off): start the previous image from the"
      echo "    savepoint this upgrade took ($sp), written by the previous version, so in its state format:"
      echo "      kubectl -n $namespace patch flinkdeployment $d --type merge -p '{\"spec\":{\"image\":\"${prev_image[$d]}\",\"job\":{\"initialSavepointPath\":\"$sp\",\"savepointRedeployNonce\":$(( ${prev_nonce[$d]:-0} + 1 ))}}}'"
    else
      echo "  - no upgrade savepoint was taken, so the previous version still runs or can resume from its last savepoint/checkpoint;"
      echo "    re-applying the previous spec (above) leaves it as it was. Savepoints: scripts/k8s-status.sh <env>"
    fi
  } >&2
}

# --- what the JobManager says ----------------------------------------------------------------------------------------
# The image each deployment should run: the applied spec.image (kustomize output: "  image:" right under spec).
declare -A want_image
for d in "${deployments[@]}"; do
  want_image[$d]="$(awk -v name="$d" '
    /^---/ { fd = 0; meta = 0; spec = 0; nm = ""; next }
    /^kind:[[:space:]]*FlinkDeployment/ { fd = 1 }
    /^metadata:/ { meta = 1; spec = 0; next }
    /^spec:/ { spec = 1; meta = 0; next }
    /^[^[:space:]]/ { meta = 0; spec = 0 }
    meta && /^  name:/ { nm = $2 }
    spec && fd && nm == name && /^  image:/ { print $2; exit }' <<<"$to_apply")"
done
rest() { k get --raw "/api/v1/namespaces/$namespace/services/$1-rest:8081/proxy$2" 2>/dev/null; }

# Checks the new job from its JobManager. Sets sig_state (ok | wait | restarted | wrong-restore) and sig_why.
check_job() {
  local d="$1" job_id="$2" sp="$3" jm images ready cps restored restored_id completed_id restarts
  sig_state=wait sig_why=""
  if ! jm="$(k get deployment "$d" -o json 2>/dev/null)"; then sig_why="JobManager Deployment $d not readable"; return; fi
  images="$(jq -r '[.spec.template.spec.containers[] | select(.name == "flink-main-container") | .image] | join(",")' <<<"$jm")"
  ready="$(jq -r 'if (.status.observedGeneration // 0) >= .metadata.generation and (.status.updatedReplicas // 0) >= (.spec.replicas // 1)
      and (.status.readyReplicas // 0) >= 1 then "yes" else "no" end' <<<"$jm")"
  if [[ -n "${want_image[$d]}" && "$images" != "${want_image[$d]}" ]]; then sig_why="the JobManager runs ${images:-no image}, not ${want_image[$d]}"; return; fi
  if [[ "$ready" != yes ]]; then sig_why="the JobManager Deployment is not rolled out and ready"; return; fi
  if [[ -z "$job_id" ]]; then sig_why="no job id in the status yet"; return; fi
  if ! restarts="$(rest "$d" "/jobs/$job_id/metrics?get=numRestarts" | jq -r '.[] | select(.id == "numRestarts") | .value' 2>/dev/null)" \
      || [[ -z "$restarts" ]]; then
    sig_why="the JobManager's REST API ($d-rest:8081, job $job_id) does not answer numRestarts yet"; return
  fi
  if [[ ! "$restarts" =~ ^[0-9]+$ ]]; then sig_why="numRestarts is '$restarts', not a count"; return; fi
  if (( restarts > 0 )); then sig_state=restarted sig_why="$restarts restart(s) since the new job started"; return; fi
  if ! cps="$(rest "$d" "/jobs/$job_id/checkpoints")" || ! jq -e . >/dev/null 2>&1 <<<"$cps"; then
    sig_why="the JobManager's REST API does not answer /jobs/$job_id/checkpoints yet"; return
  fi
  restored="$(jq -r '.latest.restored.external_path // ""' <<<"$cps")"
  restored_id="$(jq -r '.latest.restored.id // -1' <<<"$cps")"
  completed_id="$(jq -r '.latest.completed.id // -1' <<<"$cps")"
  if [[ "${is_new[$d]}" == false ]]; then
    if [[ -z "$restored" ]]; then sig_state=wrong-restore sig_why="the new job restored nothing, not the upgrade savepoint $sp"; return; fi
    if [[ "${restored%/}" != "${sp%/}" ]]; then sig_state=wrong-restore sig_why="the new job restored $restored, not the upgrade savepoint $sp"; return; fi
  fi
  if (( completed_id <= restored_id )); then
    sig_why="no checkpoint completed since the restore (restored ${restored_id/#-1/none}, latest completed ${completed_id/#-1/none})"; return
  fi
  sig_state=ok sig_why="JobManager on ${want_image[$d]:-its image}, restored ${restored:-nothing (new job)}, checkpoint $completed_id completed since, no restart"
}

# --- wait -----------------------------------------------------------------------------------------------------------
# Waits for one deployment; exits with the code of the failure, after the rollback help.
await_upgrade() {
  local d="$1" started json gen obs life job sp err recon job_id last="" stable_since=0 nosp_since=0 warned="" elapsed
  local running_seen=false last_sig=""
  started="$(now_ms)"
  local deadline=$(( started + timeout_ms )) pickup_deadline=$(( started + pickup_ms ))
  json="$(get "$d")" || fail 4 "$d: cannot read the FlinkDeployment after the apply"
  gen="$(field "$json" .metadata.generation)"
  if [[ "${is_new[$d]}" == false && "$gen" == "${prev_generation[$d]}" ]]; then
    say "$d: spec unchanged (generation $gen): nothing to upgrade"
    return 0
  fi
  if [[ "${is_new[$d]}" == true ]]; then say "$d: waiting for generation $gen to run (timeout $timeout, stable for $stable_for)"
  else say "$d: waiting for generation $gen to be upgraded through a savepoint (timeout $timeout, stable for $stable_for)"; fi
  last="$(summary "$json")"
  say "$d: $last"
  while true; do
    json="$(get "$d")" || fail 4 "$d: cannot read the FlinkDeployment"
    # One jq call per poll; fields separated by US (not whitespace, so empty fields stay fields).
    IFS=$'\x1f' read -r gen obs life job sp recon job_id < <(jq -r '[.metadata.generation, .status.observedGeneration, .status.lifecycleState,
        .status.jobStatus.state, .status.jobStatus.upgradeSavepointPath, .status.reconciliationStatus.state, .status.jobStatus.jobId]
        | map(. // "" | tostring) | join("\u001f")' <<<"$json")
    err="$(error_of "$json")"
    local now; now="$(now_ms)"
    local line; line="$(summary "$json")"
    if [[ "$line" != "$last" ]]; then say "$d: $line"; last="$line"; fi

    local picked_up=false new_savepoint=false
    [[ "$obs" == "$gen" ]] && picked_up=true
    [[ -n "$sp" && "$sp" != "${prev_savepoint[$d]:-}" ]] && new_savepoint=true

    # 1. The operator gave up or rolled back: the upgrade failed.
    if [[ "$life" == FAILED || "$life" == ROLLING_BACK || "$life" == ROLLED_BACK || "$recon" == ROLLED_BACK ]]; then
      rollback_help "$d" "$sp"
      fail 4 "$d: the upgrade failed: lifecycle $life, job ${job:-?}${err:+; operator error: $err}"
    fi
    # 2. A new operator error: a failed savepoint stops the upgrade (the old job keeps running); others may pass.
    if [[ -n "$err" && "$err" != "${prev_error[$d]:-}" ]]; then
      if grep -qiE 'savepoint|snapshot' <<<"$err"; then
        rollback_help "$d" "$sp"
        fail 4 "$d: the upgrade savepoint failed, the job was not upgraded (job ${job:-?}): $err"
      fi
      if [[ "$err" != "$warned" ]]; then say "$d: operator reports an error (waiting on): $err"; warned="$err"; fi
    fi
    # 3. After the upgrade savepoint, the new job must not fail or restart.
    if $picked_up && $new_savepoint && [[ "$job" == FAILED || "$job" == FAILING || "$job" == RESTARTING ]]; then
      rollback_help "$d" "$sp"
      fail 5 "$d: the new job is $job after restoring the upgrade savepoint $sp${err:+; operator error: $err}"
    fi
    if $picked_up && [[ "${is_new[$d]}" == true ]] && [[ "$job" == FAILED || "$job" == FAILING || "$job" == RESTARTING ]]; then
      rollback_help "$d" "$sp"
      fail 5 "$d: the new job is $job${err:+; operator error: $err}"
    fi
    # 4. Done when picked up, STABLE, RUNNING and started from a new savepoint, the JobManager confirms it (new image,
    #    restored that savepoint, a checkpoint since, no restart), and all of it stays so for --stable-for.
    if $picked_up && [[ "$life" == STABLE && "$job" == RUNNING ]] && { $new_savepoint || [[ "${is_new[$d]}" == true ]]; }; then
      if ! $running_seen; then
        running_seen=true
        if $new_savepoint; then say "$d: new version RUNNING from $sp; checking the JobManager (image, restore, a checkpoint, restarts)"
        else say "$d: RUNNING; checking the JobManager (image, a checkpoint, restarts)"; fi
      fi
      check_job "$d" "$job_id" "$sp"
      case "$sig_state" in
        restarted)
          rollback_help "$d" "$sp"
          fail 5 "$d: the new job keeps restarting: $sig_why (job $job_id)" ;;
        wrong-restore)
          rollback_help "$d" "$sp"
          fail 4 "$d: $sig_why" ;;
        ok)
          last_sig=""
          if (( stable_since == 0 )); then
            stable_since="$now"
            say "$d: $sig_why; watching it for $stable_for"
          fi ;;
        *)
          if (( stable_since > 0 )); then
            rollback_help "$d" "$sp"
            fail 5 "$d: the new job was confirmed, then: $sig_why"
          fi
          if [[ "$sig_why" != "$last_sig" ]]; then say "$d: waiting: $sig_why"; fi
          last_sig="$sig_why" ;;
      esac
      if (( stable_since > 0 && now - stable_since >= stable_ms )); then
        elapsed=$(( (now - started) / 1000 ))
        if [[ "${is_new[$d]}" == true ]]; then say "$d: deployed (generation $gen, RUNNING, checkpointing, no restart) in ${elapsed}s"
        else say "$d: upgraded (generation $gen) through savepoint $sp in ${elapsed}s: restored, checkpointing, no restart, image ${want_image[$d]:-unchanged}"; fi
        return 0
      fi
    elif (( stable_since > 0 )); then
      rollback_help "$d" "$sp"
      fail 5 "$d: the new job ran, then left STABLE/RUNNING: lifecycle $life, job $job${err:+; operator error: $err}"
    fi
    # 5. STABLE and RUNNING on the new generation without a new upgrade savepoint, for --stable-for: the change was
    #    applied without a savepoint upgrade (upgradeMode not savepoint, or a change the operator applies in place).
    if $picked_up && [[ "${is_new[$d]}" == false && "$life" == STABLE && "$job" == RUNNING ]] && ! $new_savepoint; then
      if (( nosp_since == 0 )); then nosp_since="$now"; fi
      if (( now - nosp_since >= stable_ms )); then
        rollback_help "$d" "$sp"
        fail 4 "$d: generation $gen is STABLE and RUNNING but status.jobStatus.upgradeSavepointPath did not change (${sp:-none}):" \
          "the job was not upgraded through a savepoint (upgradeMode not savepoint, or a change the operator applied in place)"
      fi
    else
      nosp_since=0
    fi
    # 6. Time limits.
    if ! $picked_up && (( now >= pickup_deadline )); then
      rollback_help "$d" ""
      fail 6 "$d: the operator did not pick up generation $gen within $pickup_timeout (observedGeneration ${obs:-none}):" \
        "is the Flink Kubernetes Operator running and watching namespace $namespace? (kubectl -n flink-operator logs deploy/flink-kubernetes-operator;" \
        "kubectl -n $namespace get events --field-selector involvedObject.name=$d). The previous version still runs; the new spec is applied and"\
        "the operator will upgrade to it once it runs, unless the previous spec is re-applied."
    fi
    if (( now >= deadline )); then
      local missing=()
      $picked_up || missing+=("observedGeneration ${obs:-none} != generation $gen")
      [[ "$life" == STABLE ]] || missing+=("lifecycleState ${life:-none} != STABLE")
      [[ "$job" == RUNNING ]] || missing+=("job state ${job:-none} != RUNNING")
      $new_savepoint || [[ "${is_new[$d]}" == true ]] || missing+=("upgradeSavepointPath unchanged (${sp:-none})")
      if [[ -n "$last_sig" && "$life" == STABLE && "$job" == RUNNING ]]; then missing+=("$last_sig"); fi
      rollback_help "$d" "$sp"
      local why; why="$(printf '%s; ' "${missing[@]}")"
      fail 7 "$d: not upgraded within $timeout: ${why%; }${err:+; operator error: $err}"
    fi
    sleep "$poll_s"
  done
}

for d in "${deployments[@]}"; do await_upgrade "$d"; done
say "done: ${deployments[*]} run the applied spec"
