#!/usr/bin/env bash
# Build (once) a Debian root filesystem tarball with debootstrap --variant=minbase.
#   rootfs.sh <name> [package...]     -> prints the path of the cached tarball
# Cached as ${CACHE_DIR}/rootfs/<name>-<suite>-<hash of name+packages>.tar; downloaded
# .debs are shared in ${CACHE_DIR}/debs/<suite>.
set -euo pipefail
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
{ # parsed as a whole before it runs: editing this file cannot break a running copy
need_root

name="${1:?usage: rootfs.sh <name> [package...]}"; shift
pkgs="$(printf '%s\n' "$@" | sort -u | paste -sd, -)"
key="$(printf '%s|%s|%s|v1' "${name}" "${DEBIAN_SUITE}" "${pkgs}" | sha256sum | cut -c1-12)"
out="${CACHE_DIR}/rootfs/${name}-${DEBIAN_SUITE}-${key}.tar"
if [ -s "${out}" ]; then echo "${out}"; exit 0; fi

command -v debootstrap >/dev/null || { apt_get update -qq >&2 && apt_get install -y -qq debootstrap >/dev/null; }
# the mirror this machine's apt uses (or GRIDOPS_DEBIAN_MIRROR); no built-in default
mirror="$(debian_mirror)" || exit 1
debs="${CACHE_DIR}/debs/${DEBIAN_SUITE}"
root="${CACHE_DIR}/rootfs/${name}-${DEBIAN_SUITE}-${key}.d"
mkdir -p "${debs}"
${SUDO} rm -rf "${root}"
log "debootstrap ${DEBIAN_SUITE} minbase for ${name} (${pkgs:-no extra packages}) from ${mirror}"
${SUDO} env DEBIAN_FRONTEND=noninteractive debootstrap --variant=minbase --cache-dir="${debs}" ${pkgs:+--include="${pkgs}"} \
  "${DEBIAN_SUITE}" "${root}" "${mirror}" > "${LOG_DIR}/debootstrap-${name}.log" 2>&1 ||
  die "debootstrap failed, see ${LOG_DIR}/debootstrap-${name}.log"
# slim down: no apt lists, docs, man pages, caches; keep copyright files
${SUDO} rm -rf "${root}"/var/lib/apt/lists/* "${root}"/var/cache/apt/*.bin "${root}"/var/cache/apt/archives/*.deb \
  "${root}"/usr/share/man/* "${root}"/usr/share/info/* "${root}"/var/log/*.log "${root}"/tmp/*
${SUDO} find "${root}/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
# the image's resolv.conf/hostname are provided by the container runtime
${SUDO} rm -f "${root}/etc/resolv.conf" "${root}/etc/hostname"
${SUDO} tar --numeric-owner --xattrs -C "${root}" -cf "${out}.tmp" .
${SUDO} rm -rf "${root}"
mv "${out}.tmp" "${out}"
log "rootfs ${name}: ${out} ($(du -h "${out}" | cut -f1))"
echo "${out}"
exit
}
