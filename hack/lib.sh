#!/usr/bin/env bash
# Shared helpers for hack/*.sh. Source it; do not execute.
# shellcheck disable=SC2034

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${HACK_DIR}/.." && pwd)"
# shellcheck source=hack/versions.env
. "${HACK_DIR}/versions.env"

CACHE_DIR="${GRIDOPS_CACHE_DIR:-${HOME}/.cache/gridops}"
BIN_CACHE="${CACHE_DIR}/bin"
GOBUILD_DIR="${CACHE_DIR}/gobuild"
LOG_DIR="${CACHE_DIR}/logs"
CLUSTER_NAME="${GRIDOPS_CLUSTER_NAME:-gridops}"
KUBECONFIG_PATH="${GRIDOPS_KUBECONFIG:-${CACHE_DIR}/kubeconfig-${CLUSTER_NAME}}"
NODE_IMAGE="${GRIDOPS_NODE_IMAGE:-gridops/kind-node:${K8S_VERSION}-kind${KIND_VERSION}}"
GO_NICE="${GRIDOPS_GO_NICE:-10}"

export PATH="/usr/local/go/bin:${BIN_CACHE}/current:${PATH}"
# Go's module and build caches live in the gridops cache too, so the whole toolchain is
# one directory to keep (CI) or delete (cold start). GRIDOPS_GO_SHARED_CACHES=1 keeps
# the user's own GOMODCACHE/GOCACHE instead.
if [ "${GRIDOPS_GO_SHARED_CACHES:-0}" != 1 ]; then
  export GOMODCACHE="${CACHE_DIR}/go/mod" GOCACHE="${CACHE_DIR}/go/build-cache"
fi
export GOPATH="${GOPATH:-${CACHE_DIR}/go/path}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export GOTOOLCHAIN=local

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else die "must run as root (or with sudo)"; fi
  else
    SUDO=""
  fi
}

# versioned bin dir for a tool; tools are linked into ${BIN_CACHE}/current
tool_dir() { echo "${BIN_CACHE}/$1-$2"; }

link_tool() { # name version [binary...]
  local name=$1 ver=$2; shift 2
  mkdir -p "${BIN_CACHE}/current"
  local b
  for b in "$@"; do
    ln -sfn "$(tool_dir "$name" "$ver")/$b" "${BIN_CACHE}/current/$b"
  done
}

gobuild() { nice -n "${GO_NICE}" go "$@"; }

# A Go >= GO_MIN_VERSION on PATH; otherwise the Go toolchain ${GO_TOOLCHAIN_VERSION} is
# fetched once from the Go module proxy (golang.org/toolchain) into the cache.
go_ok() {
  local v; v="$(go env GOVERSION 2>/dev/null)" || return 1
  v="${v#go}"
  local maj="${v%%.*}" rest="${v#*.}"; local min="${rest%%.*}"
  local wmaj="${GO_MIN_VERSION%%.*}" wmin="${GO_MIN_VERSION#*.}"
  [ "${maj}" -gt "${wmaj}" ] || { [ "${maj}" -eq "${wmaj}" ] && [ "${min%%[!0-9]*}" -ge "${wmin}" ]; }
}
ensure_go() {
  go_ok && return 0
  local v="${GO_TOOLCHAIN_VERSION}" arch dir proxy
  arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
  dir="${CACHE_DIR}/go/toolchain-${v}"
  if [ ! -x "${dir}/bin/go" ]; then
    command -v unzip >/dev/null || { ${SUDO:-} apt-get update -qq && ${SUDO:-} apt-get install -y -qq unzip >/dev/null; }
    proxy="${GOPROXY:-https://proxy.golang.org}"; proxy="${proxy%%,*}"
    log "fetching the Go toolchain ${v} from ${proxy}"
    rm -rf "${dir}.tmp"; mkdir -p "${dir}.tmp"
    curl -fsSL "${proxy}/golang.org/toolchain/@v/v0.0.1-${v}.linux-${arch}.zip" -o "${dir}.tmp/go.zip"
    unzip -q "${dir}.tmp/go.zip" -d "${dir}.tmp"
    rm -rf "${dir}"; mv "${dir}.tmp/golang.org/toolchain@v0.0.1-${v}.linux-${arch}" "${dir}"
    rm -rf "${dir}.tmp"
  fi
  export PATH="${dir}/bin:${PATH}"
  go_ok || die "no usable Go toolchain (need >= ${GO_MIN_VERSION})"
}

# go install into a versioned dir: go_install_tool name version pkg@ver [extra go flags...]
go_install_tool() {
  local name=$1 ver=$2 pkg=$3; shift 3
  local dir; dir="$(tool_dir "$name" "$ver")"
  local bin="${pkg%@*}"; bin="${bin##*/}"
  if [ ! -x "${dir}/${bin}" ]; then
    log "building ${name} ${ver} (${pkg})"
    mkdir -p "${dir}.tmp"
    if ! GOBIN="${dir}.tmp" CGO_ENABLED="${CGO_ENABLED:-0}" gobuild install -trimpath "$@" "${pkg}"; then
      rm -rf "${dir}.tmp"
      return 1
    fi
    rm -rf "${dir}"; mv "${dir}.tmp" "${dir}"
  fi
  link_tool "$name" "$ver" "$bin"
}

image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }
# remove images (by id) that a rebuild left untagged; in-use or still-tagged ones stay
drop_if_dangling() {
  local id
  for id in "$@"; do
    [ -n "${id}" ] || continue
    [ "$(docker image inspect -f '{{len .RepoTags}}' "${id}" 2>/dev/null || echo 1)" = 0 ] || continue
    docker rmi "${id}" >/dev/null 2>&1 || true
  done
}

wait_for() { # timeout_seconds description command...
  local t=$1 what=$2; shift 2
  local end=$((SECONDS + t))
  until "$@" >/dev/null 2>&1; do
    [ "${SECONDS}" -lt "${end}" ] || die "timed out after ${t}s waiting for ${what}"
    sleep 1
  done
}
