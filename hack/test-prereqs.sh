#!/usr/bin/env bash
# What `make test` needs beyond Python packages, from Debian's packages (idempotent):
# openssl (the TLS tests make a certificate), chromium (the dashboard's browser tests;
# Playwright drives /usr/bin/chromium, it never downloads a browser) and PostgreSQL's
# server binaries (the durable engine's tests start throwaway servers).
set -euo pipefail
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

missing=()
command -v openssl >/dev/null || missing+=(openssl)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  need_root
  export DEBIAN_FRONTEND=noninteractive
  ${SUDO} apt-get update -qq
  ${SUDO} apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
"$(dirname "${BASH_SOURCE[0]}")/postgres.sh"
