#!/usr/bin/env bash
# Prometheus and promtool from Debian's `prometheus` package, unpacked into the tool cache
# (${BIN_CACHE}/prometheus-<version>/, linked into ${BIN_CACHE}/current) instead of
# installed: installing the package would also start a Prometheus server on this machine.
# Both binaries link only against libc, so they run on the host and in the project's
# bookworm base image alike (hack/prometheus-image.sh). Idempotent; prints the directory.
set -euo pipefail
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
{ # parsed as a whole before it runs: editing this file cannot break a running copy

version="$(apt-cache policy prometheus 2>/dev/null | awk '/Candidate:/{print $2}')"
if [ -z "${version}" ] || [ "${version}" = "(none)" ]; then
  apt_get update -qq
  version="$(apt-cache policy prometheus | awk '/Candidate:/{print $2}')"
fi
[ -n "${version}" ] && [ "${version}" != "(none)" ] || die "apt knows no prometheus package"
# a version like 2.42.0+ds-5+deb12u1 makes a directory name as it is
dir="$(tool_dir prometheus "${version}")"
if [ ! -x "${dir}/promtool" ] || [ ! -x "${dir}/prometheus" ]; then
  debs="${CACHE_DIR}/debs/prometheus-${version}"
  mkdir -p "${debs}"
  deb="$(ls "${debs}"/prometheus_*.deb 2>/dev/null | head -n1 || true)"
  if [ -z "${deb}" ]; then
    log "downloading Debian's prometheus ${version}"
    # apt-get download writes to the current directory; _apt cannot write to root's
    # cache, so it downloads as root (apt warns about that; the warning is dropped)
    (cd "${debs}" && apt-get download -qq "prometheus=${version}" 2>&1 | grep -v unsandboxed >&2 || true)
    deb="$(ls "${debs}"/prometheus_*.deb 2>/dev/null | head -n1 || true)"
    [ -n "${deb}" ] || die "could not download the prometheus package"
  fi
  rm -rf "${dir}.tmp" "${dir}.x"
  mkdir -p "${dir}.tmp"
  dpkg-deb -x "${deb}" "${dir}.x"
  cp "${dir}.x/usr/bin/prometheus" "${dir}.x/usr/bin/promtool" "${dir}.tmp/"
  rm -rf "${dir}.x"
  "${dir}.tmp/promtool" --version >/dev/null || die "the unpacked promtool does not run"
  rm -rf "${dir}"
  mv "${dir}.tmp" "${dir}"
  log "prometheus ${version} unpacked into ${dir}"
fi
link_tool prometheus "${version}" prometheus promtool
echo "${dir}"
exit
}
