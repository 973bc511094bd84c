#!/usr/bin/env bash
# Builds the job image (k8s/image/Dockerfile) tagged with the project version from the root pom.
set -euo pipefail

usage() {
  cat <<USAGE
Usage: scripts/k8s-build-image.sh [options]

Builds the Flink job image from k8s/image/Dockerfile: the official flink image with the three shaded job jars in
/opt/flink/usrlib/ and the S3 and Prometheus plugins enabled. The tag is the project version from pom.xml.

Options:
  --image NAME        image name without tag (default: heartbeats/flink-jobs, as in the manifests)
  --skip-maven        use the job jars already in jobs/*/target instead of running 'mvn package'
  --push              push the image after building it
  --load-kind [NAME]  load the image into a kind cluster (default cluster name: kind)
  --load-minikube     load the image into minikube
  --tool TOOL         container tool: docker, podman or buildah (default: the first one found)
  --dry-run           stage the build context and print the commands without running them
  -h, --help          this text

Environment: MVN (default mvn), MVN_ARGS (extra Maven arguments, e.g. -o).
With another registry or name, add it to the overlay: images: [{name: heartbeats/flink-jobs, newName: NAME}] (k8s/README.md)
USAGE
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
image="heartbeats/flink-jobs"
skip_maven=false push=false kind_cluster="" minikube=false tool="" dry_run=false
modules=(segments watch-time ad-impressions)

while [[ $# -gt 0 ]]; do
  case "$1" in
    --image) image="${2:?--image needs a value}"; shift 2 ;;
    --skip-maven) skip_maven=true; shift ;;
    --push) push=true; shift ;;
    --load-kind)
      if [[ $# -gt 1 && "$2" != --* ]]; then kind_cluster="$2"; shift 2; else kind_cluster="kind"; shift; fi ;;
    --load-minikube) minikube=true; shift ;;
    --tool) tool="${2:?--tool needs a value}"; shift 2 ;;
    --dry-run) dry_run=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "k8s-build-image: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

# The project version: the root pom's own <version>, the only one indented by exactly two spaces.
version="$(sed -n 's|^  <version>\(.*\)</version>.*|\1|p' "$root/pom.xml" | head -n1)"
if [[ -z "$version" ]]; then echo "k8s-build-image: cannot read the project version from $root/pom.xml" >&2; exit 1; fi
tag="$image:$version"

run() { echo "+ $*"; if ! $dry_run; then "$@"; fi; }

if [[ -z "$tool" ]]; then
  for t in docker podman buildah; do if command -v "$t" >/dev/null 2>&1; then tool="$t"; break; fi; done
fi
if [[ -z "$tool" ]] && ! $dry_run; then
  echo "k8s-build-image: no docker, podman or buildah found (use --tool, or --dry-run to only stage the context)" >&2
  exit 1
fi

if ! $skip_maven; then
  read -r -a mvn_args <<<"${MVN_ARGS:-}"
  (cd "$root" && run "${MVN:-mvn}" -B -q "${mvn_args[@]}" -DskipTests package -pl "$(IFS=,; echo "${modules[*]/#/jobs/}")" -am)
fi

ctx="$(mktemp -d "${TMPDIR:-/tmp}/heartbeats-image.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/jars"
cp "$root/k8s/image/Dockerfile" "$ctx/Dockerfile"
for m in "${modules[@]}"; do
  jar="$root/jobs/$m/target/$m-job-$version-job.jar"
  if [[ ! -f "$jar" ]]; then
    echo "k8s-build-image: $jar is missing (build it: mvn -DskipTests package, or drop --skip-maven)" >&2
    exit 1
  fi
  cp "$jar" "$ctx/jars/$m-job.jar"
done
if $skip_maven; then
  # All usrlib jars land on every job's classpath: they must come from one build of the same sources.
  newest=0 oldest=0
  for m in "${modules[@]}"; do
    t="$(stat -c %Y "$root/jobs/$m/target/$m-job-$version-job.jar")"
    if (( oldest == 0 || t < oldest )); then oldest=$t; fi
    if (( t > newest )); then newest=$t; fi
  done
  if (( newest - oldest > 600 )); then
    echo "k8s-build-image: warning: the job jars were built $(( (newest - oldest) / 60 )) min apart; rebuild them together (drop --skip-maven)" >&2
  fi
fi
echo "k8s-build-image: context $ctx: $(cd "$ctx" && find . -type f | sort | tr '\n' ' ')"

case "${tool:-docker}" in
  buildah) run buildah bud --build-arg "VERSION=$version" -t "$tag" "$ctx" ;;
  *) run "${tool:-docker}" build --build-arg "VERSION=$version" -t "$tag" "$ctx" ;;
esac
if $push; then run "${tool:-docker}" push "$tag"; fi
if [[ -n "$kind_cluster" ]]; then run kind load docker-image "$tag" --name "$kind_cluster"; fi
if $minikube; then run minikube image load "$tag"; fi
if $dry_run; then echo "k8s-build-image: dry run, nothing built ($tag)"; else echo "k8s-build-image: built $tag"; fi
