#!/usr/bin/env bash
# Install PostgreSQL's server binaries (Debian's `postgresql` package) for the store's
# tests, which start throwaway servers of their own from /usr/lib/postgresql/*/bin.
# Idempotent: does nothing when the binaries are there. Creates no cluster of its own.
set -euo pipefail
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

have_postgres() {
  local bin
  for bin in /usr/lib/postgresql/*/bin; do
    [ -x "${bin}/initdb" ] && [ -x "${bin}/pg_ctl" ] && return 0
  done
  return 1
}

if have_postgres; then
  log "PostgreSQL present: $(echo /usr/lib/postgresql/*/bin)"
  exit 0
fi

need_root
# The tests never use the package's `main` cluster: don't create (and start) one. A
# drop-in, not an edit of createcluster.conf, so dpkg sees no changed conffile.
${SUDO} mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" |
  ${SUDO} tee /etc/postgresql-common/createcluster.d/gridops-no-main.conf >/dev/null

install_postgres() { apt_get install -y -qq --no-install-recommends postgresql; }
# A fresh machine has no package lists yet; an old list may name versions long gone.
if ! compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null || ! install_postgres; then
  log "apt-get update"
  apt_get update -qq
  install_postgres
fi
have_postgres || die "postgresql installed but no initdb under /usr/lib/postgresql/*/bin"
log "PostgreSQL installed: $(echo /usr/lib/postgresql/*/bin)"
