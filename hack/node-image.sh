#!/usr/bin/env bash
# Assemble the kind node image by hand, without any registry (kind's own
# `kind build node-image` fetches images and needs build images).
#
#   1. component images (kube-apiserver, ..., etcd, coredns, pause) are built from the
#      Go binaries with `docker import`, tagged exactly as `kubeadm config images list`
#      prints them, and saved into ${CACHE_DIR}/images/;
#   2. the node root filesystem = debootstrap bookworm (the packages kind's base image
#      has) + kind's base-image files (taken at build time from the kind module in the Go
#      module cache, never committed) + containerd/runc/CNI/kubeadm/kubelet/kubectl + a
#      static CNI conflist;
#   3. the component images are imported into the node's containerd store by a
#      throw-away containerd running on the host against the node's /var/lib/containerd;
#   4. the tree is `docker import`ed as ${NODE_IMAGE} with kind's entrypoint.
# Storage: kube-controller-manager's host-path provisioner backs kind's default
# StorageClass; node/gridops-hostpath-pv.service keeps its volumes on /var and the
# createContainer hook node/hostpath-volumes.sh makes them writable for non-root pods.
# The result is labelled with a hash of its inputs; a matching image is reused.
set -euo pipefail
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
{ # parsed as a whole before it runs: editing this file cannot break a running copy
need_root
ensure_go   # `go mod download` of kind's module below

POD_SUBNET="${GRIDOPS_POD_SUBNET:-10.244.0.0/16}"
NODE_POD_CIDR="${POD_SUBNET%.*/*}.0/24"   # the single node gets the first /24
NODE_PACKAGES=(systemd conntrack iptables nftables iproute2 ethtool util-linux mount kmod
  libseccomp2 pigz fuse-overlayfs bash ca-certificates curl jq procps runc)
PROXY_PACKAGES=(iptables conntrack nftables)

K8S_BIN="$(tool_dir kubernetes "${K8S_VERSION}")"
CTRD_BIN="$(tool_dir containerd "${CONTAINERD_VERSION}")"
CNI_BIN="$(tool_dir cni-plugins "${CNI_PLUGINS_VERSION}")"

for f in "${K8S_BIN}/kubeadm" "${CTRD_BIN}/containerd" "${CNI_BIN}/ptp" \
  "$(tool_dir etcd "${ETCD_VERSION}")/etcd" "$(tool_dir coredns "${COREDNS_VERSION}")/coredns" \
  "$(tool_dir pause "${PAUSE_VERSION}")/pause"; do
  [ -x "$f" ] || die "missing $f: run hack/build-k8s.sh and hack/build-tools.sh first"
done

node_rootfs="$("${HACK_DIR}/rootfs.sh" kind-node "${NODE_PACKAGES[@]}")"
proxy_rootfs="$("${HACK_DIR}/rootfs.sh" kube-proxy "${PROXY_PACKAGES[@]}")"

key="$( {
  cat "${HACK_DIR}/versions.env" "${BASH_SOURCE[0]}" "${HACK_DIR}"/node/* "${HACK_DIR}/oci-runtime-wrapper.sh"
  echo "${node_rootfs##*/} ${proxy_rootfs##*/} ${POD_SUBNET}"
} | sha256sum | cut -c1-16)"
if [ "$(docker image inspect -f '{{index .Config.Labels "io.gridops.inputs"}}' "${NODE_IMAGE}" 2>/dev/null || true)" = "${key}" ]; then
  log "node image ${NODE_IMAGE} is up to date (${key})"
  exit 0
fi

work="${CACHE_DIR}/work/node-image"
${SUDO} rm -rf "${work}"
mkdir -p "${work}"
trap '${SUDO} rm -rf "${work}"' EXIT

# ---------------------------------------------------------------- component images
images_tar="${CACHE_DIR}/images/k8s-${K8S_VERSION}-${key}.tar"
skeleton() { # dir: minimal /etc, /tmp for binary-only images
  mkdir -p "$1/etc" "$1/tmp" "$1/usr/local/bin"
  chmod 1777 "$1/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' > "$1/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' > "$1/etc/group"
  echo 'hosts: files dns' > "$1/etc/nsswitch.conf"
}
import_dir() { # dir tag [--change ...]
  local dir=$1 tag=$2; shift 2
  tar --numeric-owner -C "${dir}" -c . | docker import "$@" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "${tag}" >/dev/null
}

if [ ! -s "${images_tar}" ]; then
  mapfile -t want < <("${K8S_BIN}/kubeadm" config images list --kubernetes-version "${K8S_VERSION}")
  old_ids=()
  for img in "${want[@]}"; do old_ids+=("$(image_id "${img}")"); done
  log "building component images: ${want[*]}"
  for img in "${want[@]}"; do
    name="${img%:*}"; name="${name##*/}"; tag="${img##*:}"
    d="${work}/img-${name}"
    case "${name}" in
      kube-apiserver|kube-controller-manager|kube-scheduler)
        skeleton "$d"; install -m 0755 "${K8S_BIN}/${name}" "$d/usr/local/bin/${name}"
        import_dir "$d" "${img}" ;;
      kube-proxy)
        mkdir -p "$d"; tar -C "$d" -xf "${proxy_rootfs}"
        install -m 0755 "${K8S_BIN}/kube-proxy" "$d/usr/local/bin/kube-proxy.bin"
        install -m 0755 "${HACK_DIR}/node/iptables-mode.sh" "$d/usr/local/bin/kube-proxy"
        import_dir "$d" "${img}" ;;
      etcd)
        [ "${tag}" = "${ETCD_IMAGE_TAG}" ] || die "kubeadm wants etcd ${tag}, versions.env pins ${ETCD_IMAGE_TAG}"
        skeleton "$d"; install -m 0755 "$(tool_dir etcd "${ETCD_VERSION}")/etcd" "$d/usr/local/bin/etcd"
        import_dir "$d" "${img}" ;;
      coredns)
        [ "${tag}" = "${COREDNS_VERSION}" ] || die "kubeadm wants coredns ${tag}, versions.env pins ${COREDNS_VERSION}"
        skeleton "$d"; install -m 0755 "$(tool_dir coredns "${COREDNS_VERSION}")/coredns" "$d/coredns"
        import_dir "$d" "${img}" --change 'ENTRYPOINT ["/coredns"]' --change 'EXPOSE 53 53/udp' ;;
      pause)
        [ "${tag}" = "${PAUSE_VERSION}" ] || die "kubeadm wants pause ${tag}, versions.env pins ${PAUSE_VERSION}"
        skeleton "$d"; install -m 0755 "$(tool_dir pause "${PAUSE_VERSION}")/pause" "$d/pause"
        import_dir "$d" "${img}" --change 'ENTRYPOINT ["/pause"]' --change 'USER 65535:65535' ;;
      *) die "do not know how to build image ${img}" ;;
    esac
    rm -rf "$d"
  done
  mkdir -p "$(dirname "${images_tar}")"
  rm -f "${CACHE_DIR}/images/k8s-${K8S_VERSION}-"*  # older builds of the same version
  docker save "${want[@]}" > "${images_tar}.tmp"
  mv "${images_tar}.tmp" "${images_tar}"
  printf '%s\n' "${want[@]}" > "${images_tar%.tar}.list"
  drop_if_dangling "${old_ids[@]}"
fi
pause_image="$(grep '/pause:' "${images_tar%.tar}.list")"

# ---------------------------------------------------------------- node root filesystem
root="${work}/rootfs"
mkdir -p "${root}"
${SUDO} tar --numeric-owner -C "${root}" -xf "${node_rootfs}"

kind_dir="$(go mod download -json "sigs.k8s.io/kind@${KIND_VERSION}" | jq -r .Dir)"
files="${kind_dir}/images/base/files"
[ -d "${files}" ] || die "kind base-image files not found in ${kind_dir}"
install -d "${root}/kind/bin" "${root}/etc/containerd" "${root}/etc/default" "${root}/etc/sysctl.d" \
  "${root}/etc/systemd/system/kubelet.service.d" "${root}/etc/kubernetes/manifests" \
  "${root}/opt/cni/bin" "${root}/etc/cni/net.d" "${root}/LICENSES"
install -m 0755 "${files}"/usr/local/bin/* "${root}/usr/local/bin/"
install -m 0755 "${files}"/kind/bin/* "${root}/kind/bin/"
install -m 0644 "${files}/kind/README.txt" "${root}/kind/"
install -m 0644 "${files}"/LICENSES/* "${root}/LICENSES/"
install -m 0644 "${files}/etc/crictl.yaml" "${root}/etc/"
install -m 0644 "${files}"/etc/containerd/* "${root}/etc/containerd/"
install -m 0644 "${files}"/etc/default/* "${root}/etc/default/"
install -m 0644 "${files}"/etc/sysctl.d/* "${root}/etc/sysctl.d/"
find "${files}/etc/systemd/system" -maxdepth 1 -type f -exec install -m 0644 {} "${root}/etc/systemd/system/" \;
install -m 0644 "${files}"/etc/systemd/system/kubelet.service.d/* "${root}/etc/systemd/system/kubelet.service.d/"

for b in kubeadm kubelet kubectl; do install -m 0755 "${K8S_BIN}/$b" "${root}/usr/bin/$b"; done
for b in containerd containerd-shim-runc-v2 ctr; do install -m 0755 "${CTRD_BIN}/$b" "${root}/usr/local/bin/$b"; done
for b in host-local loopback ptp portmap bridge; do install -m 0755 "${CNI_BIN}/$b" "${root}/opt/cni/bin/$b"; done
# host-path PersistentVolumes: kept on /var, writable for non-root pods (see the files)
install -m 0755 "${HACK_DIR}/node/hostpath-volumes.sh" "${root}/usr/local/bin/gridops-hostpath-volumes"
install -m 0644 "${HACK_DIR}/node/gridops-hostpath-pv.service" "${root}/etc/systemd/system/"
crictl="$(tool_dir crictl "${CRICTL_VERSION}")/crictl"
[ ! -x "${crictl}" ] || install -m 0755 "${crictl}" "${root}/usr/local/bin/crictl"
echo "${K8S_VERSION}" > "${root}/kind/version"

# CNI: one static conflist is enough for a single node (disableDefaultCNI: true)
sed "s#@POD_SUBNET@#${NODE_POD_CIDR}#" "${HACK_DIR}/node/10-gridops-ptp.conflist" > "${root}/etc/cni/net.d/10-gridops-ptp.conflist"

# containerd: base runtime spec as kind derives it (default spec + product-files hook, no
# rlimits) plus our host-path volume hook, the sandbox image kubeadm expects
"${CTRD_BIN}/ctr" oci spec |
  jq '.hooks.createContainer += [{"path": "/kind/bin/mount-product-files.sh"},
        {"path": "/usr/local/bin/gridops-hostpath-volumes"}] | del(.process.rlimits)' \
  > "${root}/etc/containerd/cri-base.json"
sed -i "s#^\([[:space:]]*sandbox_image[[:space:]]*=\).*#\1 \"${pause_image}\"#" "${root}/etc/containerd/config.toml"
grep -q "sandbox_image = \"${pause_image}\"" "${root}/etc/containerd/config.toml" || die "could not set sandbox_image"
# Without CAP_SYS_RESOURCE nobody in the node may lower oom_score_adj below its own: runc
# then dies writing the -998 the kubelet asks for (sandbox creation fails with "can't get
# final child's PID from pipe: EOF"). restrict_oom_score_adj clamps it to containerd's.
if (( ! ((16#$(awk '/^CapBnd:/{print $2}' /proc/self/status) >> 24) & 1) )); then
  sed -i 's/^\([[:space:]]*restrict_oom_score_adj[[:space:]]*=\).*/\1 true/' "${root}/etc/containerd/config.toml"
  grep -q 'restrict_oom_score_adj = true' "${root}/etc/containerd/config.toml" || die "could not set restrict_oom_score_adj"
fi

# systemd inside a container: same unit pruning as kind's base image
chroot_sh() { ${SUDO} chroot "${root}" /bin/sh -c "$1"; }
rm -f "${root}"/lib/systemd/system/sysinit.target.wants/systemd-tmpfiles-setup.service \
  "${root}"/lib/systemd/system/multi-user.target.wants/* "${root}"/etc/systemd/system/*.wants/* \
  "${root}"/lib/systemd/system/local-fs.target.wants/* "${root}"/lib/systemd/system/sockets.target.wants/*udev* \
  "${root}"/lib/systemd/system/sockets.target.wants/*initctl* "${root}"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >> "${root}/etc/systemd/journald.conf"
ln -sfn /lib/systemd/systemd "${root}/sbin/init"
chroot_sh "systemctl enable kubelet.service containerd.service undo-mount-hacks.service gridops-hostpath-pv.service >/dev/null 2>&1 && systemctl mask systemd-binfmt.service >/dev/null 2>&1"
[ -L "${root}/etc/systemd/system/multi-user.target.wants/kubelet.service" ] || die "systemctl enable failed in node rootfs"
[ -L "${root}/etc/systemd/system/kubelet.service.wants/gridops-hostpath-pv.service" ] || die "could not enable gridops-hostpath-pv.service"

# ---------------------------------------------------------------- preload images
log "importing component images into the node's containerd store"
st="${work}/ctrd"
mkdir -p "${st}"
cat > "${st}/config.toml" <<TOML
version = 2
root = "${root}/var/lib/containerd"
state = "${st}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "${st}/containerd.sock"
[ttrpc]
  address = "${st}/containerd.sock.ttrpc"
TOML
"${CTRD_BIN}/containerd" --config "${st}/config.toml" > "${st}/containerd.log" 2>&1 &
ctrd_pid=$!
trap 'kill ${ctrd_pid} 2>/dev/null || true; ${SUDO} rm -rf "${work}"' EXIT
wait_for 30 "the build containerd" "${CTRD_BIN}/ctr" --address "${st}/containerd.sock" version
"${CTRD_BIN}/ctr" --address "${st}/containerd.sock" -n k8s.io images import \
  --label=io.cri-containerd.pinned=pinned --all-platforms --no-unpack --digests "${images_tar}" >/dev/null
"${CTRD_BIN}/ctr" --address "${st}/containerd.sock" -n k8s.io images ls -q | grep -v '^sha256:' | sort > "${st}/have"
diff <(sort "${images_tar%.tar}.list") <(grep -v '@sha256:' "${st}/have") >&2 || die "image import incomplete"
kill "${ctrd_pid}"; wait "${ctrd_pid}" 2>/dev/null || true
rm -rf "${root}"/var/lib/containerd/tmpmounts "${root}"/tmp/*

# ---------------------------------------------------------------- commit
log "importing node image ${NODE_IMAGE}"
old_node_id="$(image_id "${NODE_IMAGE}")"
${SUDO} tar --numeric-owner --xattrs -C "${root}" -c . | docker import - "${NODE_IMAGE}-rootfs" >/dev/null
# `docker import --change` knows no STOPSIGNAL (systemd wants SIGRTMIN+3): add the image
# config with a RUN-less Dockerfile on top (no context, works with the legacy builder).
DOCKER_BUILDKIT=0 docker build -q -t "${NODE_IMAGE}" - >/dev/null 2>&1 <<DOCKERFILE
FROM ${NODE_IMAGE}-rootfs
ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]
LABEL io.gridops.inputs=${key}
DOCKERFILE
docker rmi "${NODE_IMAGE}-rootfs" >/dev/null 2>&1 || true
docker image inspect -f '{{.Config.StopSignal}}' "${NODE_IMAGE}" | grep -qx 'SIGRTMIN+3' || die "node image config incomplete"
drop_if_dangling "${old_node_id}"   # kept while a cluster still runs on it
log "node image ${NODE_IMAGE} ready"
exit
}
