#!/usr/bin/env bash
# Single-node kind cluster for gridops that comes up with NO container registry.
#   hack/cluster.sh up       install/build what is missing, create (or restart) the cluster
#   hack/cluster.sh down     delete the cluster
#   hack/cluster.sh status   print cluster, node and kube-system state
#   hack/cluster.sh tools    only install prerequisites and build the tools / node image
#   hack/cluster.sh env      print `export KUBECONFIG=...; export PATH=...` for a shell
# Environment: GRIDOPS_CACHE_DIR (default ~/.cache/gridops), GRIDOPS_CLUSTER_NAME
# (gridops), GRIDOPS_KUBECONFIG, GRIDOPS_REGISTRY=auto|yes|no (auto: probe for 3 s the
# registry Docker pulls from, see registry_reachable; yes: plain `kind create cluster`
# with kind's own node image), GRIDOPS_REGISTRY_PROBE_URL.
set -euo pipefail
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
{ # parsed as a whole before it runs: editing this file cannot break a running copy

registry_reachable() {
  case "${GRIDOPS_REGISTRY:-auto}" in
    yes) return 0 ;; no) return 1 ;;
  esac
  # The registry Docker itself pulls kind's node image from, as this machine's Docker is
  # configured (`docker info`): its first registry mirror, else its index server; or
  # GRIDOPS_REGISTRY_PROBE_URL. A registry's /v2/ answers 401 (or 200) when reachable.
  local url="${GRIDOPS_REGISTRY_PROBE_URL:-}" code
  if [ -z "${url}" ]; then
    url="$(docker info -f '{{range .RegistryConfig.Mirrors}}{{.}} {{end}}' 2>/dev/null || true)"
    url="${url%% *}"
    [ -n "${url}" ] || url="$(docker info -f '{{.IndexServerAddress}}' 2>/dev/null || true)"
    [ -n "${url}" ] || return 1
    url="${url%/}"; url="${url%/v1}/v2/"
  fi
  code="$(curl -s -o /dev/null -w '%{http_code}' -m 3 "${url}" || true)"
  [ "${code}" = 401 ] || [ "${code}" = 200 ]
}

tools() {
  mkdir -p "${LOG_DIR}"
  "${HACK_DIR}/docker-setup.sh"
  USE_REGISTRY=0
  if registry_reachable; then USE_REGISTRY=1; log "registry reachable: using kind's published node image"; fi
  # Once, before the parallel builds below: each of them then finds Go on PATH (the
  # toolchain fetch is safe to run concurrently too, but need not be).
  ensure_go
  # The Kubernetes compile is the long pole on a cold cache: run it in the background
  # while the other tools download and build (kubectl/kubeadm pinned to the cluster).
  local k8s_log="${LOG_DIR}/build-k8s.log" k8s_pid
  "${HACK_DIR}/build-k8s.sh" > "${k8s_log}" 2>&1 &
  k8s_pid=$!
  "${HACK_DIR}/build-tools.sh" host
  if [ "${USE_REGISTRY}" = 0 ]; then
    "${HACK_DIR}/build-tools.sh" node
  fi
  if ! wait "${k8s_pid}"; then
    tail -n 30 "${k8s_log}" >&2
    die "building Kubernetes ${K8S_VERSION} failed (full log: ${k8s_log})"
  fi
  tail -n 1 "${k8s_log}" >&2
  if [ "${USE_REGISTRY}" = 0 ]; then
    "${HACK_DIR}/node-image.sh"
  fi
}

cluster_exists() { kind get clusters 2>/dev/null | grep -qx "${CLUSTER_NAME}"; }
node_container() { echo "${CLUSTER_NAME}-control-plane"; }
kc() { kubectl --kubeconfig "${KUBECONFIG_PATH}" "$@"; }

wait_ready() {
  log "waiting for the API server, the node and CoreDNS"
  wait_for 120 "the API server" kc get --raw /readyz
  kc wait --for=condition=Ready node --all --timeout=180s >/dev/null
  kc -n kube-system rollout status deployment/coredns --timeout=180s >/dev/null
  kc -n kube-system rollout status daemonset/kube-proxy --timeout=180s >/dev/null
}

up() {
  local t0=${SECONDS}
  tools   # sets USE_REGISTRY
  mkdir -p "$(dirname "${KUBECONFIG_PATH}")"
  if cluster_exists; then
    local st; st="$(docker inspect -f '{{.State.Status}}' "$(node_container)" 2>/dev/null || echo missing)"
    if [ "${st}" != running ]; then
      log "cluster ${CLUSTER_NAME} exists but its node is ${st}: starting it"
      docker start "$(node_container)" >/dev/null
    else
      log "cluster ${CLUSTER_NAME} already exists"
    fi
    kind export kubeconfig --name "${CLUSTER_NAME}" --kubeconfig "${KUBECONFIG_PATH}" >/dev/null 2>&1
    if [ "${USE_REGISTRY}" = 0 ] && [ "$(docker inspect -f '{{.Image}}' "$(node_container)")" != "$(image_id "${NODE_IMAGE}")" ]; then
      log "NOTE: the cluster runs an older build of the node image than ${NODE_IMAGE}; '$0 down' then '$0 up' switches to it"
    fi
  else
    local image_args=() config="${HACK_DIR}/kind-config.yaml"
    if [ "${USE_REGISTRY}" = 1 ]; then
      # kind's published node image has no static conflist: keep kind's default CNI
      config="$(mktemp)"
      grep -v 'disableDefaultCNI' "${HACK_DIR}/kind-config.yaml" > "${config}"
    else
      image_args=(--image "${NODE_IMAGE}")
    fi
    log "kind create cluster ${CLUSTER_NAME} (${image_args[*]:-kind default image})"
    kind create cluster --name "${CLUSTER_NAME}" "${image_args[@]}" \
      --config "${config}" --kubeconfig "${KUBECONFIG_PATH}" --wait 0s
    [ "${config}" = "${HACK_DIR}/kind-config.yaml" ] || rm -f "${config}"
  fi
  wait_ready
  log "cluster ${CLUSTER_NAME} is up in $((SECONDS - t0))s; kubeconfig: ${KUBECONFIG_PATH}"
  log "use it with: eval \"\$($0 env)\""
}

down() {
  if cluster_exists; then
    kind delete cluster --name "${CLUSTER_NAME}" --kubeconfig "${KUBECONFIG_PATH}"
  else
    log "no cluster ${CLUSTER_NAME}"
  fi
  rm -f "${KUBECONFIG_PATH}"
  # node/gridops images that were replaced while the cluster still used them
  docker image prune -f --filter label=io.gridops.inputs >/dev/null 2>&1 || true
}

status() {
  if ! command -v kind >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
    echo "cluster ${CLUSTER_NAME}: absent (no kind or no docker engine)"; return 1
  fi
  if ! cluster_exists; then echo "cluster ${CLUSTER_NAME}: absent"; return 1; fi
  echo "cluster ${CLUSTER_NAME}: node container $(docker inspect -f '{{.State.Status}} ({{.Config.Image}})' "$(node_container)")"
  echo "kubeconfig: ${KUBECONFIG_PATH}"
  kc version 2>/dev/null | sed 's/^/  /' || true
  kc get nodes -o wide && kc -n kube-system get pods -o wide && kc get storageclass
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  tools) tools ;;
  env) echo "export KUBECONFIG='${KUBECONFIG_PATH}'; export PATH='${BIN_CACHE}/current':\"\$PATH\"" ;;
  *) echo "usage: $0 up|down|status|tools|env" >&2; exit 2 ;;
esac
exit
}
