#!/usr/bin/env bash
# What `make test` needs beyond Python packages, from Debian's packages (idempotent):
# openssl (the TLS tests make a certificate) and PostgreSQL's server binaries (the
# durable engine's tests start throwaway servers).
set -euo pipefail
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! command -v openssl >/dev/null; then
  need_root
  export DEBIAN_FRONTEND=noninteractive
  ${SUDO} apt-get update -qq
  ${SUDO} apt-get install -y -qq --no-install-recommends openssl
fi
"$(dirname "${BASH_SOURCE[0]}")/postgres.sh"
