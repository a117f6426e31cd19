#!/usr/bin/env bash
# Build (once) the gridops base image without a registry: debootstrap bookworm minbase +
# python3 (3.11, the host's minor version) + venv support, `docker import`ed as
# ${GRIDOPS_BASE_IMAGE:-gridops-base:bookworm-py311}. Reused while its label matches.
set -euo pipefail
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
{ # parsed as a whole before it runs: editing this file cannot break a running copy

BASE_IMAGE="${GRIDOPS_BASE_IMAGE:-gridops-base:bookworm-py311}"
rootfs="$("${HACK_DIR}/rootfs.sh" python python3 python3-venv ca-certificates tini)"
key="$(basename "${rootfs}" .tar)"
if [ "$(docker image inspect -f '{{index .Config.Labels "io.gridops.rootfs"}}' "${BASE_IMAGE}" 2>/dev/null || true)" = "${key}" ]; then
  log "base image ${BASE_IMAGE} is up to date"
  exit 0
fi
docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' \
  --change "LABEL io.gridops.rootfs=${key}" \
  "${rootfs}" "${BASE_IMAGE}" >/dev/null
docker run --rm "${BASE_IMAGE}" python3 -c 'import sys, venv, ssl; assert sys.version_info[:2] == (3, 11), sys.version' ||
  die "base image ${BASE_IMAGE} failed its python check"
log "base image ${BASE_IMAGE} built from ${rootfs}"
exit
}
