#!/usr/bin/env bash
# Build the gridops image without network inside the build and (with --load) load it
# into the kind cluster.
#   image.sh [--load|--load-if-running]
# 1. copy the working tree (git's tracked + untracked-not-ignored files) to
#    ${CACHE_DIR}/work/src, so no build output lands in the checkout; its hash decides
#    whether the image must be rebuilt at all;
# 2. `pip wheel` the package and all its dependencies on the host (PyPI reachable) into a
#    build context ${CACHE_DIR}/work/image-context/wheels;
# 3. `docker build` the repo's Dockerfile on that context with BASE_IMAGE (hack/base-image.sh);
# 4. --load: `kind load docker-image` into ${CLUSTER_NAME} (error if it does not exist);
#    --load-if-running: the same, but only a note when there is no cluster.
set -euo pipefail
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
{ # parsed as a whole before it runs: editing this file cannot break a running copy

IMAGE="${GRIDOPS_IMAGE:-gridops:dev}"
BASE_IMAGE="${GRIDOPS_BASE_IMAGE:-gridops-base:bookworm-py311}"
PYTHON="${GRIDOPS_PYTHON:-python3}"
load=0
case "${1:-}" in
  --load) load=1 ;;
  --load-if-running) load=2 ;;
  "") ;;
  *) die "usage: $0 [--load|--load-if-running]" ;;
esac

docker image inspect "${BASE_IMAGE}" >/dev/null 2>&1 || "${HACK_DIR}/base-image.sh"

src="${CACHE_DIR}/work/src"
ctx="${CACHE_DIR}/work/image-context"
rm -rf "${src}" "${ctx}"
mkdir -p "${src}" "${ctx}/wheels"
log "copying the source tree to ${src}"
if git -C "${REPO_ROOT}" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # tracked + untracked-but-not-ignored files: no caches, test databases or build output
  (cd "${REPO_ROOT}" && git ls-files -z -co --exclude-standard | tar --null -T - -c) | tar -C "${src}" -x
else
  tar -C "${REPO_ROOT}" -c \
    --exclude=./.git --exclude=./.venv --exclude='*/__pycache__' --exclude='./build' \
    --exclude='./dist' --exclude='*.egg-info' --exclude='./.mypy_cache' --exclude='./.pytest_cache' \
    --exclude='./.ruff_cache' --exclude='./.hypothesis' --exclude='./artifacts' . | tar -C "${src}" -x
fi

# skip the build when the source, Dockerfile and base image are what the image was built from
# (the wheel holds the gridops package, symlinked folders followed, plus pyproject/README
# metadata: tests, docs, charts... do not change the image)
key_paths=()
for f in pyproject.toml setup.cfg setup.py README.md MANIFEST.in gridops; do
  [ -e "${src}/${f}" ] && key_paths+=("${f}")
done
src_key="$( {
  tar -C "${src}" --dereference --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    -c "${key_paths[@]}" | sha256sum
  sha256sum "${REPO_ROOT}/Dockerfile" "${REPO_ROOT}/.dockerignore"
  docker image inspect -f '{{.Id}}' "${BASE_IMAGE}"
} | sha256sum | cut -c1-16)"
if [ "${GRIDOPS_IMAGE_FORCE:-0}" != 1 ] &&
  [ "$(docker image inspect -f '{{index .Config.Labels "io.gridops.inputs"}}' "${IMAGE}" 2>/dev/null || true)" = "${src_key}" ]; then
  log "image ${IMAGE} is up to date with the working tree (${src_key}); GRIDOPS_IMAGE_FORCE=1 rebuilds"
else
log "building wheels with ${PYTHON} ($(${PYTHON} -c 'import sys; print(sys.version.split()[0])'))"
"${PYTHON}" -m pip wheel --disable-pip-version-check -q -w "${ctx}/wheels" "${src}"
# the image's python is Debian's 3.11: wheels must be py3 or cp311
for w in "${ctx}"/wheels/*.whl; do
  case "${w##*/}" in
    *-py3-none-*|*-py2.py3-none-*|*-cp311-*|*-abi3-*) ;;
    *) die "wheel ${w##*/} does not fit python 3.11" ;;
  esac
done
cp "${REPO_ROOT}/.dockerignore" "${ctx}/.dockerignore"

log "docker build ${IMAGE} (BASE_IMAGE=${BASE_IMAGE})"
old_id="$(image_id "${IMAGE}")"
DOCKER_BUILDKIT=0 docker build -q -f "${REPO_ROOT}/Dockerfile" --build-arg "BASE_IMAGE=${BASE_IMAGE}" \
  --label "io.gridops.source=$(git -C "${REPO_ROOT}" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --label "io.gridops.inputs=${src_key}" \
  -t "${IMAGE}" "${ctx}" >/dev/null
docker run --rm --read-only "${IMAGE}" --help >/dev/null || die "${IMAGE}: 'gridops --help' failed"
drop_if_dangling "${old_id}"
log "image ${IMAGE} built ($(docker image inspect -f '{{.Size}}' "${IMAGE}" | awk '{printf "%.0f MB", $1/1e6}'))"
fi

if [ "${load}" != 0 ]; then
  if ! kind get clusters 2>/dev/null | grep -qx "${CLUSTER_NAME}"; then
    [ "${load}" = 2 ] && { log "no kind cluster ${CLUSTER_NAME}: image not loaded (run 'make cluster image')"; exit 0; }
    die "no kind cluster ${CLUSTER_NAME}: run 'make cluster' first"
  fi
  log "kind load docker-image ${IMAGE} --name ${CLUSTER_NAME}"
  kind load docker-image "${IMAGE}" --name "${CLUSTER_NAME}" >/dev/null
fi
exit
}
