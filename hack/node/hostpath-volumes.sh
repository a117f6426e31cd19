#!/bin/bash
# OCI createContainer hook of the kind node (registered in containerd's base runtime spec,
# /etc/containerd/cri-base.json, by hack/node-image.sh). runc runs it for every container
# after the mounts are set up and before the container's process starts.
#
# kube-controller-manager's host-path provisioner (the "standard" StorageClass) makes each
# volume as /tmp/hostpath_pv/<uuid>, owned by root with mode 0750, and the kubelet applies
# no fsGroup to hostPath volumes: a non-root pod could not write its own claim. This hook
# makes such a volume directory mode 0777 (what kind's local-path provisioner gives its
# volumes) before any container that mounts it starts, so there is no window in which the
# pod sees it read-only. Only direct children of /tmp/hostpath_pv are touched.
#
# A failing hook would fail the container's creation: this one always exits 0.
export PATH='/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
base=/tmp/hostpath_pv
bundle="$(jq -r '.bundle // empty' 2>/dev/null)" || exit 0
[ -n "${bundle}" ] && [ -f "${bundle}/config.json" ] || exit 0
jq -r '.mounts[]?.source // empty' "${bundle}/config.json" 2>/dev/null |
  while IFS= read -r src; do
    case "${src}" in
      "${base}"/*/*) ;;
      "${base}"/?*) [ -d "${src}" ] && [ ! -L "${src}" ] && chmod 0777 "${src}" ;;
    esac
  done
exit 0
