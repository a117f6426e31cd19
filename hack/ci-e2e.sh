#!/usr/bin/env bash
# The E2E tier, start to finish, for CI (.ci/run) or a fresh Debian bookworm machine:
#   1. prerequisites (apt: docker.io, debootstrap, jq, ...; dockerd started if needed),
#   2. Go-built tools + node image (cached in ${GRIDOPS_CACHE_DIR:-~/.cache/gridops}),
#   3. the kind cluster (kept running afterwards unless GRIDOPS_E2E_TEARDOWN=1),
#   4. the gridops image, loaded into the cluster,
#   5. pytest tests/e2e -m e2e.
# Cold (empty cache) this compiles Kubernetes and takes tens of minutes; warm, minutes.
set -euo pipefail
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
{ # parsed as a whole before it runs: editing this file cannot break a running copy
cd "${REPO_ROOT}"

t0=${SECONDS}
# host python for `pip wheel` (image) and the pytest venv
if ! python3 -c 'import pip, venv, ensurepip' >/dev/null 2>&1; then
  log "apt-get install python3-pip python3-venv"
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends python3-pip python3-venv >/dev/null
fi
"${HACK_DIR}/cluster.sh" up
t_cluster=$((SECONDS - t0))
"${HACK_DIR}/image.sh" --load
t_image=$((SECONDS - t0 - t_cluster))

# a python with pytest: the repo's .venv if it has pytest, else a small cached venv
py="${E2E_PYTHON:-}"
if [ -z "${py}" ]; then
  if [ -x .venv/bin/python ] && .venv/bin/python -c 'import pytest' 2>/dev/null; then
    py=.venv/bin/python
  else
    venv="${CACHE_DIR}/venv-e2e"
    [ -x "${venv}/bin/python" ] || python3 -m venv "${venv}"
    "${venv}/bin/python" -c 'import pytest' 2>/dev/null ||
      "${venv}/bin/python" -m pip install -q --disable-pip-version-check 'pytest>=8'
    py="${venv}/bin/python"
  fi
fi

rc=0
KUBECONFIG="${KUBECONFIG_PATH}" GRIDOPS_KUBECONFIG="${KUBECONFIG_PATH}" \
  "${py}" -m pytest tests/e2e -m e2e -p no:cacheprovider "$@" || rc=$?
log "e2e: cluster ${t_cluster}s, image ${t_image}s, total $((SECONDS - t0))s, pytest rc=${rc}"
if [ "${GRIDOPS_E2E_TEARDOWN:-0}" = 1 ]; then "${HACK_DIR}/cluster.sh" down; fi
exit "${rc}"
}
