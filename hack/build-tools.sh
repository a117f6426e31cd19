#!/usr/bin/env bash
# Build every Go tool the registry-free cluster needs (except Kubernetes itself, see
# build-k8s.sh) from the Go module proxy into ${BIN_CACHE}/<tool>-<version>/.
# Usage: build-tools.sh [host|node|compose|all]
#   host: kind, helm; node: what the node image holds; compose: Docker Compose v2 as a
#   Docker CLI plugin (Debian's docker-compose is 1.29, which lacks `up --wait`)
set -euo pipefail
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
{ # parsed as a whole before it runs: editing this file cannot break a running copy
ensure_go

what="${1:-all}"

build_wrapper_module() { # name version srcdir require-line binary
  local name=$1 ver=$2 src=$3 req=$4 bin=$5
  local dir; dir="$(tool_dir "$name" "$ver")"
  [ -x "${dir}/${bin}" ] && return 0
  log "building ${name} ${ver}"
  local work="${GOBUILD_DIR}/${name}-${ver}"
  mkdir -p "${work}"
  cp "${src}/main.go" "${work}/main.go"
  if [ ! -f "${work}/go.mod" ]; then
    (cd "${work}" && go mod init "gridops.local/${name}" >/dev/null 2>&1 && { [ -z "${req}" ] || go mod edit -require="${req}"; })
  fi
  (cd "${work}" && GOFLAGS="${GOFLAGS} -mod=mod" go mod tidy >/dev/null &&
    mkdir -p "${dir}.tmp" &&
    CGO_ENABLED=0 gobuild build -trimpath -ldflags "-s -w" -o "${dir}.tmp/${bin}" .)
  rm -rf "${dir}"; mv "${dir}.tmp" "${dir}"
}

# build_pkgs name version module@version tags extra-ldflags pkg... : build main packages of
# a module through a throw-away main module (binaries named after the package dirs)
build_pkgs() {
  local name=$1 ver=$2 req=$3 tags=$4 ld=$5; shift 5
  local dir; dir="$(tool_dir "$name" "$ver")"
  local p missing=0
  for p in "$@"; do [ -x "${dir}/${p##*/}" ] || missing=1; done
  [ "${missing}" = 0 ] && return 0
  log "building ${name} ${ver}: ${*##*/}"
  local work="${GOBUILD_DIR}/${name}-${ver}"
  mkdir -p "${work}"
  if [ ! -f "${work}/go.mod" ]; then
    (cd "${work}" && go mod init "gridops.local/${name}" >/dev/null 2>&1 && go mod edit -require="${req}")
  fi
  rm -rf "${dir}.tmp"; mkdir -p "${dir}.tmp"
  (cd "${work}" && GOFLAGS="${GOFLAGS} -mod=mod" go list -deps "$@" >/dev/null &&
    CGO_ENABLED=0 GOFLAGS="${GOFLAGS} -mod=mod" gobuild build -trimpath -tags "${tags}" \
      -ldflags "-s -w ${ld}" -o "${dir}.tmp/" "$@") || { rm -rf "${dir}.tmp"; return 1; }
  rm -rf "${dir}"; mv "${dir}.tmp" "${dir}"
}

host_tools() {
  go_install_tool kind "${KIND_VERSION}" "sigs.k8s.io/kind@${KIND_VERSION}"
  go_install_tool helm "${HELM_VERSION}" "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}" \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
}

node_tools() {
  # crictl (kind uses it to see whether `kind load` can skip an image; handy to debug).
  # Its checksum is not in sum.golang.org: verify against the hashes pinned in
  # versions.env instead (GONOSUMDB for this one module only). Optional: on failure the
  # node image just lacks crictl.
  local no_crictl; no_crictl="$(tool_dir crictl "${CRICTL_VERSION}").unavailable"
  if [ ! -e "${no_crictl}" ]; then
    local cwork="${GOBUILD_DIR}/crictl-${CRICTL_VERSION}"
    mkdir -p "${cwork}"
    grep -qs "^sigs.k8s.io/cri-tools ${CRICTL_VERSION} " "${cwork}/go.sum" ||
      printf 'sigs.k8s.io/cri-tools %s %s\nsigs.k8s.io/cri-tools %s/go.mod %s\n' \
        "${CRICTL_VERSION}" "${CRICTL_H1}" "${CRICTL_VERSION}" "${CRICTL_GOMOD_H1}" >> "${cwork}/go.sum"
    # cri-tools v1.34.0 requires k8s.io/* v0.34.0-rc.2, which sum.golang.org does not
    # know either: lift those to the released staging version we build Kubernetes from
    local minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
    local staging="v0.${minor}.${K8S_VERSION##*.}" m
    if [ ! -f "${cwork}/go.mod" ]; then
      (cd "${cwork}" && go mod init gridops.local/crictl >/dev/null 2>&1 &&
        go mod edit -require="sigs.k8s.io/cri-tools@${CRICTL_VERSION}" &&
        for m in api apimachinery client-go cri-api cri-client kubectl kubelet; do
          go mod edit -require="k8s.io/${m}@${staging}"
        done)
    fi
    GONOSUMDB=sigs.k8s.io/cri-tools build_pkgs crictl "${CRICTL_VERSION}" "sigs.k8s.io/cri-tools@${CRICTL_VERSION}" "" \
      "-X sigs.k8s.io/cri-tools/pkg/version.Version=${CRICTL_VERSION}" sigs.k8s.io/cri-tools/cmd/crictl || {
      log "WARN: could not build crictl ${CRICTL_VERSION}; node image will lack it (delete ${no_crictl} to retry)"
      touch "${no_crictl}"
    }
  fi
  # containerd's and the CNI plugins' go.mod carry exclude/replace directives, so
  # `go install pkg@version` refuses them: build them inside a throw-away module instead.
  build_pkgs containerd "${CONTAINERD_VERSION}" "github.com/containerd/containerd@${CONTAINERD_VERSION}" \
    "no_btrfs no_zfs no_devmapper no_aufs" \
    "-X github.com/containerd/containerd/version.Version=${CONTAINERD_VERSION} -X github.com/containerd/containerd/version.Package=github.com/containerd/containerd" \
    github.com/containerd/containerd/cmd/containerd \
    github.com/containerd/containerd/cmd/containerd-shim-runc-v2 \
    github.com/containerd/containerd/cmd/ctr
  local cni=github.com/containernetworking/plugins/plugins
  build_pkgs cni-plugins "${CNI_PLUGINS_VERSION}" "github.com/containernetworking/plugins@${CNI_PLUGINS_VERSION}" "" \
    "-X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=${CNI_PLUGINS_VERSION}" \
    "${cni}/ipam/host-local" "${cni}/main/loopback" "${cni}/main/ptp" "${cni}/meta/portmap" "${cni}/main/bridge"
  go_install_tool coredns "${COREDNS_VERSION}" "github.com/coredns/coredns@${COREDNS_VERSION}" -ldflags "-s -w"
  build_wrapper_module etcd "${ETCD_VERSION}" "${HACK_DIR}/go/etcd" "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" etcd
  build_wrapper_module pause "${PAUSE_VERSION}" "${HACK_DIR}/go/pause" "" pause
}

compose_tool() {
  # compose's go.mod has exclude directives, so `go install` refuses it: a throw-away
  # module builds it (the binary is named after its package directory, cmd)
  build_pkgs compose "${COMPOSE_VERSION}" "github.com/docker/compose/v2@${COMPOSE_VERSION}" "" \
    "-X github.com/docker/compose/v2/internal.Version=${COMPOSE_VERSION}" \
    github.com/docker/compose/v2/cmd
  local plugins="${DOCKER_CONFIG:-${HOME}/.docker}/cli-plugins"
  mkdir -p "${plugins}"
  ln -sfn "$(tool_dir compose "${COMPOSE_VERSION}")/cmd" "${plugins}/docker-compose"
  docker compose version >/dev/null || die "docker compose ${COMPOSE_VERSION} does not run as a CLI plugin"
}

case "${what}" in
  host) host_tools ;;
  node) node_tools ;;
  compose) compose_tool ;;
  all) host_tools; node_tools; compose_tool ;;
  *) die "usage: $0 [host|node|compose|all]" ;;
esac
log "tools (${what}) ready under ${BIN_CACHE}"
exit
}
