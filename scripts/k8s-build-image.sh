#!/usr/bin/env bash
# Builds the job image (k8s/image/Dockerfile) tagged with the project version from the root pom.
set -euo pipefail

usage() {
  cat <<USAGE
Usage: scripts/k8s-build-image.sh [options]

Builds the Flink job image from k8s/image/Dockerfile: the official flink image with the shaded jar of all three jobs
(jobs/bundle, heartbeat-jobs.jar) in /opt/flink/usrlib/, the schema tool (module schema, heartbeat-schema.jar) in
/opt/heartbeats/, the JSON log layout (log4j-layout-template-json) in /opt/flink/lib/, and the S3 and Prometheus
plugins enabled. The tag is the project version from pom.xml, or --tag.

Options:
  --image NAME        image name without tag (default: heartbeats/flink-jobs, as in the manifests)
  --tag TAG           image tag (default: the project version; CI uses <version>-<commit>, immutable)
  --skip-maven        use the jars already in jobs/bundle/target and schema/target instead of running 'mvn package'
  --push              push the image after building it
  --load-kind [NAME]  load the image into a kind cluster (default cluster name: kind)
  --load-minikube     load the image into minikube
  --tool TOOL         container tool: docker, podman or buildah (default: the first one found)
  --dry-run           stage the build context and print the commands without running them
  -h, --help          this text

Environment: MVN (default mvn), MVN_ARGS (extra Maven arguments, e.g. -o or -Dmaven.repo.local=DIR).
With another registry or name, set it in the overlay: kustomize edit set image heartbeats/flink-jobs=NAME:TAG (k8s/README.md)
USAGE
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
image="heartbeats/flink-jobs"
tag=""
skip_maven=false push=false kind_cluster="" minikube=false tool="" dry_run=false
# The Maven module whose shaded jar holds the three jobs, and that jar's name in the image.
bundle_module="jobs/bundle"
bundle_artifact="heartbeat-jobs"
schema_module="schema"
schema_jar="heartbeat-schema"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --image) image="${2:?--image needs a value}"; shift 2 ;;
    --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
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
# Flink's log4j version (the root pom keeps it equal to Flink's): the JSON layout must match the log4j-core it joins.
log4j_version="$(sed -n 's|.*<log4j.version>\(.*\)</log4j.version>.*|\1|p' "$root/pom.xml" | head -n1)"
if [[ -z "$log4j_version" ]]; then echo "k8s-build-image: cannot read log4j.version from $root/pom.xml" >&2; exit 1; fi
tag="${tag:-$version}"
if [[ ! "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]; then echo "k8s-build-image: --tag '$tag' is not a valid image tag" >&2; exit 2; fi
ref="$image:$tag"

run() { echo "+ $*"; if ! $dry_run; then "$@"; fi; }

if [[ -z "$tool" ]]; then
  for t in docker podman buildah; do if command -v "$t" >/dev/null 2>&1; then tool="$t"; break; fi; done
fi
if [[ -z "$tool" ]] && ! $dry_run; then
  echo "k8s-build-image: no docker, podman or buildah found (use --tool, or --dry-run to only stage the context)" >&2
  exit 1
fi

read -r -a mvn_args <<<"${MVN_ARGS:-}"
if ! $skip_maven; then
  (cd "$root" && run "${MVN:-mvn}" -B -q "${mvn_args[@]}" -DskipTests package -pl "$bundle_module,$schema_module" -am)
fi

ctx="$(mktemp -d "${TMPDIR:-/tmp}/heartbeats-image.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/jars" "$ctx/lib" "$ctx/tools"
cp "$root/k8s/image/Dockerfile" "$ctx/Dockerfile"
jar="$root/$bundle_module/target/$bundle_artifact-$version.jar"
if [[ ! -f "$jar" ]]; then
  echo "k8s-build-image: $jar is missing (build it: mvn -DskipTests package -pl $bundle_module -am, or drop --skip-maven)" >&2
  exit 1
fi
cp "$jar" "$ctx/jars/$bundle_artifact.jar"
tool_jar="$root/$schema_module/target/$schema_module-$version-tool.jar"
if [[ ! -f "$tool_jar" ]]; then
  echo "k8s-build-image: $tool_jar is missing (build it: mvn -DskipTests package -pl $schema_module -am, or drop --skip-maven)" >&2
  exit 1
fi
cp "$tool_jar" "$ctx/tools/$schema_jar.jar"
(cd "$root" && run "${MVN:-mvn}" -B -q "${mvn_args[@]}" dependency:copy \
  "-Dartifact=org.apache.logging.log4j:log4j-layout-template-json:$log4j_version" -DoutputDirectory="$ctx/lib" -Dmdep.stripVersion=true)
echo "k8s-build-image: context $ctx: $(cd "$ctx" && find . -type f | sort | tr '\n' ' ')"

case "${tool:-docker}" in
  buildah) run buildah bud --build-arg "VERSION=$version" -t "$ref" "$ctx" ;;
  *) run "${tool:-docker}" build --build-arg "VERSION=$version" -t "$ref" "$ctx" ;;
esac
if $push; then run "${tool:-docker}" push "$ref"; fi
if [[ -n "$kind_cluster" ]]; then run kind load docker-image "$ref" --name "$kind_cluster"; fi
if $minikube; then run minikube image load "$ref"; fi
if $dry_run; then echo "k8s-build-image: dry run, nothing built ($ref)"; else echo "k8s-build-image: built $ref"; fi
