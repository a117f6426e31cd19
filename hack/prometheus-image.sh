#!/usr/bin/env bash
# Build gridops-prometheus:dev (the Compose stack's `monitoring` profile) with no
# registry: Debian's prometheus binary (hack/prometheus.sh) on the project's base image
# (hack/base-image.sh), from deploy/prometheus/Dockerfile. Skipped when the image was
# built from the same binary, Dockerfile and base image.
set -euo pipefail
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
{ # parsed as a whole before it runs: editing this file cannot break a running copy

IMAGE="${GRIDOPS_PROMETHEUS_IMAGE:-gridops-prometheus:dev}"
BASE_IMAGE="${GRIDOPS_BASE_IMAGE:-gridops-base:bookworm-py311}"
dockerfile="${REPO_ROOT}/deploy/prometheus/Dockerfile"

bin="$("${HACK_DIR}/prometheus.sh")"
docker image inspect "${BASE_IMAGE}" >/dev/null 2>&1 || "${HACK_DIR}/base-image.sh"
key="$( {
  sha256sum "${bin}/prometheus" "${bin}/promtool" "${dockerfile}" | cut -d' ' -f1
  docker image inspect -f '{{.Id}}' "${BASE_IMAGE}"
} | sha256sum | cut -c1-16)"
if [ "$(docker image inspect -f '{{index .Config.Labels "io.gridops.inputs"}}' "${IMAGE}" 2>/dev/null || true)" = "${key}" ]; then
  log "${IMAGE} is up to date"
  exit 0
fi
ctx="${CACHE_DIR}/work/prometheus-image"
rm -rf "${ctx}"
mkdir -p "${ctx}"
cp "${bin}/prometheus" "${bin}/promtool" "${ctx}/"
cp "${dockerfile}" "${ctx}/Dockerfile"
log "building ${IMAGE}"
DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE_IMAGE=${BASE_IMAGE}" \
  --label "io.gridops.inputs=${key}" -t "${IMAGE}" "${ctx}" >/dev/null
rm -rf "${ctx}"
log "built ${IMAGE}"
exit
}
