#!/usr/bin/env bash
# Build the Kubernetes binaries of ${K8S_VERSION} from the Go module proxy.
# k8s.io/kubernetes cannot be `go install`ed (its go.mod points the k8s.io/* staging
# modules at local paths), so a throw-away module requires it and replaces every staging
# module with its published v0.X.Y twin. Output: ${BIN_CACHE}/kubernetes-${K8S_VERSION}/
set -euo pipefail
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
{ # parsed as a whole before it runs: editing this file cannot break a running copy
ensure_go

BINS=(kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)
OUT="$(tool_dir kubernetes "${K8S_VERSION}")"

done_already() {
  local b
  for b in "${BINS[@]}"; do [ -x "${OUT}/${b}" ] || return 1; done
}

if done_already; then
  link_tool kubernetes "${K8S_VERSION}" kubectl kubeadm
  log "kubernetes ${K8S_VERSION} binaries cached in ${OUT}"
  exit 0
fi

minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
patch="${K8S_VERSION##*.}"
staging_ver="v0.${minor}.${patch}"
work="${GOBUILD_DIR}/kubernetes-${K8S_VERSION}"
mkdir -p "${work}"
cd "${work}"

# The staging list is read from k8s.io/kubernetes' own go.mod, so it follows the version.
if [ ! -f go.mod ]; then
  log "preparing wrapper module for k8s.io/kubernetes ${K8S_VERSION}"
  k8smod="$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [ -f "${k8smod}" ] || die "could not download k8s.io/kubernetes@${K8S_VERSION}"
  {
    echo "module gridops.local/k8sbuild"
    echo
    echo "go $(sed -n 's/^go \([0-9.]*\).*/\1/p' "${k8smod}")"
    echo
    echo "require k8s.io/kubernetes ${K8S_VERSION}"
    echo
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s.io/[A-Za-z0-9_.-]*\) => ./staging/src/.*#\1#p' "${k8smod}" |
      while read -r m; do echo "	${m} => ${m} ${staging_ver}"; done
    echo ")"
  } > go.mod.tmp
  mv go.mod.tmp go.mod
fi

pkgs=()
for b in "${BINS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/${b}"); done

log "resolving modules (go mod download may take minutes on a cold cache)"
GOFLAGS="${GOFLAGS} -mod=mod" go list -deps "${pkgs[@]}" > /dev/null

build_date="$(date -u -d @"${SOURCE_DATE_EPOCH:-0}" +%Y-%m-%dT%H:%M:%SZ)"
ld="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ld+=" -X ${p}.gitVersion=${K8S_VERSION}"
  ld+=" -X ${p}.gitMajor=1 -X ${p}.gitMinor=${minor}"
  ld+=" -X ${p}.gitCommit=0000000000000000000000000000000000000000"
  ld+=" -X ${p}.gitTreeState=clean -X ${p}.buildDate=${build_date}"
done

mkdir -p "${OUT}.tmp"
log "compiling ${BINS[*]} (nice ${GO_NICE}); this is the long part on a cold cache"
CGO_ENABLED=0 GOFLAGS="${GOFLAGS} -mod=mod" gobuild build -trimpath -ldflags "${ld}" -o "${OUT}.tmp/" "${pkgs[@]}"
"${OUT}.tmp/kubeadm" version -o short | grep -qx "${K8S_VERSION}" || die "kubeadm reports the wrong version"
rm -rf "${OUT}"; mv "${OUT}.tmp" "${OUT}"
link_tool kubernetes "${K8S_VERSION}" kubectl kubeadm
log "kubernetes ${K8S_VERSION} binaries in ${OUT}"
exit
}
