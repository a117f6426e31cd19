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
# The Go in /usr/local/go comes first on PATH; GRIDOPS_GO_SYSTEM_BIN names another
# directory, or none when it is set but empty (the tests of ensure_go do that).
GO_SYSTEM_BIN="${GRIDOPS_GO_SYSTEM_BIN-/usr/local/go/bin}"
GO_TOOLCHAIN_DIR="${CACHE_DIR}/go/toolchain-${GO_TOOLCHAIN_VERSION}"

export PATH="${GO_SYSTEM_BIN:+${GO_SYSTEM_BIN}:}${BIN_CACHE}/current:${PATH}"
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

# apt-get, as root and non-interactive, that waits for another package manager (a machine
# still running its own apt at boot) instead of failing at once. `DPkg::Lock::Timeout`
# makes apt wait for dpkg's locks (lock-frontend, lock) itself, but apt 2.6 (bookworm)
# takes the lists lock (`update`) and the archives lock (downloads) without a timeout and
# exits 100 with "Could not get lock ..." right away: such a failure is retried until
# GRIDOPS_APT_LOCK_TIMEOUT seconds (default 900) have passed. Any other failure returns
# apt-get's status at once. Usage: apt_get [apt-get options and arguments...]
apt_get() {
  [ -n "${SUDO+set}" ] || need_root
  local budget="${GRIDOPS_APT_LOCK_TIMEOUT:-900}" end err rc left busy waiting=0
  end=$((SECONDS + budget))
  err="$(mktemp)" || return 1
  while :; do
    left=$((end - SECONDS)); [ "${left}" -gt 0 ] || left=0
    rc=0
    # apt's messages in English (the lock check below reads them), nothing else changed
    ${SUDO} env -u LC_ALL -u LANGUAGE LC_MESSAGES=C DEBIAN_FRONTEND=noninteractive \
      apt-get -o DPkg::Lock::Timeout="${left}" "$@" 2>"${err}" || rc=$?
    # "Could not get lock X. It is held by process N": busy. (Not "Could not open lock
    # file": that is a permission problem, which waiting does not fix.)
    busy="$(grep -m1 '^E: Could not get lock' "${err}" || true)"
    if [ "${rc}" -eq 0 ] || [ -z "${busy}" ] || [ "${SECONDS}" -ge "${end}" ]; then
      cat "${err}" >&2
      rm -f "${err}"
      [ "${rc}" -eq 0 ] || [ -z "${busy}" ] || log "ERROR: apt stayed busy for ${budget}s (GRIDOPS_APT_LOCK_TIMEOUT)"
      return "${rc}"
    fi
    if [ "${waiting}" = 0 ]; then
      log "apt is busy (${busy#E: }); waiting up to ${budget}s for it"
      waiting=1
    fi
    sleep 2
  done
}

# The Debian mirror of this machine's own apt sources (apt reads both the one-line
# sources.list format and deb822 .sources files; `apt-get indextargets` lists what it
# parsed): a `deb` source with the `main` component, never the security archive,
# preferring one for ${DEBIAN_SUITE}. GRIDOPS_DEBIAN_MIRROR overrides. Fails when none.
debian_mirror() {
  if [ -n "${GRIDOPS_DEBIAN_MIRROR:-}" ]; then
    echo "${GRIDOPS_DEBIAN_MIRROR}"
    return 0
  fi
  local m=""
  if command -v apt-get >/dev/null 2>&1; then
    # shellcheck disable=SC2016 # $(...) are apt's format fields, not shell
    m="$(apt-get indextargets --no-release-info \
      --format '$(TARGET_OF) $(IDENTIFIER) $(COMPONENT) $(RELEASE) $(REPO_URI)' 2>/dev/null |
      awk -v suite="${DEBIAN_SUITE}" '
        $1 == "deb" && $2 == "Packages" && $3 == "main" && $4 !~ /-security$/ &&
        $5 ~ /^(https?|file):/ && $5 !~ /security/ {
          if ($4 == suite) { print $5; found = 1; exit }
          if (other == "") other = $5
        }
        END { if (!found && other != "") print other }')" || m=""
  fi
  if [ -z "${m}" ]; then
    log "ERROR: no Debian mirror in this machine's apt sources (/etc/apt/sources.list," \
      "/etc/apt/sources.list.d/*.list or *.sources; security archives do not count):" \
      "set GRIDOPS_DEBIAN_MIRROR to the mirror's URL"
    return 1
  fi
  echo "${m%/}"
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

# Every `go` of a script that sourced this file runs ensure_go first (once per shell), so
# a script that forgets to call it still cannot run a missing or half-installed go.
go() { [ -n "${_gridops_go_ready:-}" ] || ensure_go; command go "$@"; }
gobuild() { [ -n "${_gridops_go_ready:-}" ] || ensure_go; nice -n "${GO_NICE}" go "$@"; }

# A Go >= GO_MIN_VERSION on PATH; otherwise the Go toolchain ${GO_TOOLCHAIN_VERSION} is
# fetched once from the Go module proxy (golang.org/toolchain) into ${GO_TOOLCHAIN_DIR}.
go_ok() {
  local v; v="$(command go env GOVERSION 2>/dev/null)" || return 1
  v="${v#go}"
  local maj="${v%%.*}" rest="${v#*.}"; local min="${rest%%.*}"
  local wmaj="${GO_MIN_VERSION%%.*}" wmin="${GO_MIN_VERSION#*.}"
  [ "${maj}" -gt "${wmaj}" ] || { [ "${maj}" -eq "${wmaj}" ] && [ "${min%%[!0-9]*}" -ge "${wmin}" ]; }
}

# GOOS-GOARCH of this machine as the toolchain module names it (linux-amd64, ...)
go_host_platform() {
  local a; a="$(dpkg --print-architecture 2>/dev/null || uname -m)"
  case "${a}" in
    amd64|x86_64) a=amd64 ;;
    arm64|aarch64) a=arm64 ;;
    armhf|armel|armv6l|armv7l) a=armv6l ;;
    i386|i686) a=386 ;;
    ppc64el|ppc64le) a=ppc64le ;;
  esac
  echo "linux-${a}"
}

# The Go module proxy to fetch the toolchain from: the first URL in `go env GOPROXY` when
# some go is on PATH (even one too old to build with), else in $GOPROXY.
go_proxy() {
  local list="" p entries=()
  if type -P go >/dev/null 2>&1; then list="$(command go env GOPROXY 2>/dev/null || true)"; fi
  [ -n "${list}" ] || list="${GOPROXY:-}"
  IFS=',|' read -r -a entries <<<"${list}"
  for p in "${entries[@]}"; do
    case "${p}" in
      off) break ;;
      https://*|http://*|file://*) echo "${p%/}"; return 0 ;;
    esac
  done
  log "ERROR: no Go module proxy to fetch Go ${GO_TOOLCHAIN_VERSION} from (GOPROXY='${list}'):" \
    "install Go >= ${GO_MIN_VERSION} or set GOPROXY to your module proxy's URL"
  return 1
}

# verify_go_toolchain zip prefix dir: dir holds every file of the zip (which lists them
# under prefix/), `go version` names ${GO_TOOLCHAIN_VERSION} and `go list std` works
verify_go_toolchain() {
  local zip=$1 prefix=$2 dir=$3 want have
  want="$(unzip -Z1 "${zip}" | sed -n "s#^${prefix}/##p" | grep -v '/$' | LC_ALL=C sort)" || return 1
  have="$(cd "${dir}" && find . -type f -o -type l | sed 's#^\./##' | LC_ALL=C sort)" || return 1
  if [ -z "${want}" ] || [ "${want}" != "${have}" ]; then
    log "ERROR: the unpacked Go toolchain differs from its zip:" \
      "$(diff <(echo "${want}") <(echo "${have}") | grep -c '^[<>]') files"
    return 1
  fi
  (cd / && env -u GOROOT GOFLAGS= GOTOOLCHAIN=local "${dir}/bin/go" version) | grep -qF " ${GO_TOOLCHAIN_VERSION} " ||
    { log "ERROR: the fetched toolchain's 'go version' does not say ${GO_TOOLCHAIN_VERSION}"; return 1; }
  (cd / && env -u GOROOT GOFLAGS= GOTOOLCHAIN=local "${dir}/bin/go" list std >/dev/null) ||
    { log "ERROR: 'go list std' fails with the fetched toolchain"; return 1; }
}

# Download, unpack and verify the toolchain in a private directory next to dir, then
# publish it with one rename(2): dir is absent or complete, never half-written. The
# caller holds ${dir}.lock. Returns non-zero (dir untouched) when anything fails.
fetch_go_toolchain() { # dir
  local dir=$1 v="${GO_TOOLCHAIN_VERSION}" plat proxy tmp prefix
  plat="$(go_host_platform)"
  prefix="golang.org/toolchain@v0.0.1-${v}.${plat}"
  proxy="$(go_proxy)" || return 1
  if ! command -v unzip >/dev/null 2>&1; then
    { apt_get update -qq && apt_get install -y -qq --no-install-recommends unzip >/dev/null; } || return 1
  fi
  rm -rf "${dir}".tmp.* "${dir}.tmp"   # left by interrupted fetches (we hold the lock)
  tmp="$(mktemp -d "${dir}.tmp.XXXXXX")" || return 1
  log "fetching the Go toolchain ${v} (${plat}) from ${proxy}"
  if curl -fsSL --retry 3 -o "${tmp}/go.zip" "${proxy}/golang.org/toolchain/@v/v0.0.1-${v}.${plat}.zip" &&
    unzip -q "${tmp}/go.zip" -d "${tmp}/unpacked" &&
    verify_go_toolchain "${tmp}/go.zip" "${prefix}" "${tmp}/unpacked/${prefix}" &&
    touch "${tmp}/unpacked/${prefix}/.gridops-verified" &&
    { [ ! -e "${dir}" ] || mv -T "${dir}" "${tmp}/unverified-old"; } &&
    mv -T "${tmp}/unpacked/${prefix}" "${dir}"; then
    rm -rf "${tmp}"
    log "Go toolchain ${v} verified and installed in ${dir}"
    return 0
  fi
  rm -rf "${tmp}"
  log "ERROR: could not fetch a working Go toolchain ${v} (nothing was installed)"
  return 1
}

# Safe to run concurrently (cluster.sh builds in parallel): one process fetches under a
# lock on ${GO_TOOLCHAIN_DIR}.lock while the others wait, then all use the published copy.
ensure_go() {
  if go_ok; then _gridops_go_ready=1; return 0; fi
  local dir="${GO_TOOLCHAIN_DIR}"
  if [ ! -f "${dir}/.gridops-verified" ]; then
    mkdir -p "${dir%/*}" || die "cannot create ${dir%/*}"
    if ! (
      exec 9>"${dir}.lock" || exit 1
      if ! flock -n 9; then
        log "Go ${GO_TOOLCHAIN_VERSION} is being fetched by another process: waiting for ${dir}.lock"
        flock -w "${GRIDOPS_GO_FETCH_TIMEOUT:-1800}" 9 || { log "ERROR: timed out waiting for ${dir}.lock"; exit 1; }
      fi
      [ -f "${dir}/.gridops-verified" ] || fetch_go_toolchain "${dir}"
    ); then
      die "no Go toolchain: Go >= ${GO_MIN_VERSION} is not on PATH and fetching ${GO_TOOLCHAIN_VERSION} failed"
    fi
  fi
  unset GOROOT   # the toolchain finds its own root; a GOROOT of another Go would win
  export PATH="${dir}/bin:${PATH}"
  go_ok || die "no usable Go toolchain in ${dir} (need >= ${GO_MIN_VERSION})"
  _gridops_go_ready=1
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
