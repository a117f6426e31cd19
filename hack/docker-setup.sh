#!/usr/bin/env bash
# Make sure a Docker engine is running on this machine, installing Debian's docker.io if
# needed. No systemd is assumed: dockerd is started in the background (log in
# ${LOG_DIR}/dockerd.log) when `docker info` fails. If the capability bounding set lacks
# capabilities that `--privileged` asks for, an OCI runtime wrapper that drops them is
# registered as the default runtime (see oci-runtime-wrapper.sh).
set -euo pipefail
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
{ # parsed as a whole before it runs: editing this file cannot break a running copy
need_root

WRAPPER=/usr/local/libexec/gridops/runc-dropcaps
DAEMON_JSON=/etc/docker/daemon.json

# capability number -> name (linux/capability.h)
CAPS=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
  LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER
  SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE
  SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP
  MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF
  CHECKPOINT_RESTORE)

missing_caps() { # prints CAP_ names absent from this process' bounding set
  local bnd last i out=()
  bnd=$((16#$(awk '/^CapBnd:/{print $2}' /proc/self/status)))
  last=$(cat /proc/sys/kernel/cap_last_cap 2>/dev/null || echo 40)
  for ((i = 0; i <= last && i < ${#CAPS[@]}; i++)); do
    if (((bnd >> i) & 1)); then :; else out+=("CAP_${CAPS[$i]}"); fi
  done
  echo "${out[*]:-}"
}

apt_install() { # only the packages whose command is missing
  local pkgs=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || pkgs+=("${pair#*:}")
  done
  [ "${#pkgs[@]}" -eq 0 ] && return 0
  log "apt-get install ${pkgs[*]}"
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
}

apt_install dockerd:docker.io jq:jq debootstrap:debootstrap iptables:iptables \
  curl:curl git:git make:make pigz:pigz

drop="$(missing_caps)"
want_json="$(cat "${DAEMON_JSON}" 2>/dev/null || echo '{}')"
if [ -n "${drop}" ]; then
  log "capability bounding set lacks: ${drop} -> registering ${WRAPPER} as default OCI runtime"
  ${SUDO} install -D -m 0755 "${HACK_DIR}/oci-runtime-wrapper.sh" "${WRAPPER}"
  # the wrapper reads the caps to drop from its environment; bake them into a tiny launcher
  printf '#!/bin/sh\nGRIDOPS_DROP_CAPS="%s" GRIDOPS_REAL_RUNC="%s" exec %s "$@"\n' \
    "${drop}" "$(command -v runc)" "${WRAPPER}" | ${SUDO} tee "${WRAPPER}-launch" >/dev/null
  ${SUDO} chmod 0755 "${WRAPPER}-launch"
  want_json="$(jq --arg p "${WRAPPER}-launch" \
    '.runtimes["gridops-runc"] = {path: $p} | .["default-runtime"] = "gridops-runc"' <<<"${want_json}")"
fi
if [ "$(jq -S . <<<"${want_json}")" != "$(jq -S . "${DAEMON_JSON}" 2>/dev/null || echo '{}')" ]; then
  ${SUDO} mkdir -p "$(dirname "${DAEMON_JSON}")"
  jq . <<<"${want_json}" | ${SUDO} tee "${DAEMON_JSON}" >/dev/null
  log "wrote ${DAEMON_JSON}"
  if docker info >/dev/null 2>&1; then
    restart=1
  fi
fi

start_dockerd() {
  mkdir -p "${LOG_DIR}"
  log "starting dockerd in the background (log: ${LOG_DIR}/dockerd.log)"
  # setsid: survive the calling shell; containerd is started by dockerd itself
  ${SUDO} setsid nohup dockerd >>"${LOG_DIR}/dockerd.log" 2>&1 < /dev/null &
  wait_for 60 "the docker socket" docker info
}

if [ "${restart:-0}" = 1 ]; then
  if [ -d /run/systemd/system ]; then
    ${SUDO} systemctl restart docker
  elif pid="$(cat /var/run/docker.pid 2>/dev/null)" && [ -n "${pid}" ]; then
    log "restarting dockerd (pid ${pid}) to apply ${DAEMON_JSON}"
    ${SUDO} kill "${pid}"
    wait_for 60 "dockerd to stop" sh -c "! kill -0 ${pid}"
    start_dockerd
  fi
fi

if ! docker info >/dev/null 2>&1; then
  if [ -d /run/systemd/system ]; then
    ${SUDO} systemctl start docker
    wait_for 60 "the docker socket" docker info
  else
    start_dockerd
  fi
fi
log "docker engine $(docker version -f '{{.Server.Version}}') is up (default runtime: $(docker info -f '{{.DefaultRuntime}}'))"
exit
}
