#!/usr/bin/env bash
# What `make test` needs beyond Python packages, from Debian's packages (idempotent):
# openssl (the TLS tests make a certificate), chromium (the dashboard's browser tests;
# Playwright drives /usr/bin/chromium, it never downloads a browser), curl and unzip (the
# Go bootstrap test runs hack/lib.sh's ensure_go), PostgreSQL's server binaries (the
# durable engine's tests start throwaway servers) and promtool (the alert rules' tests),
# unpacked from Debian's prometheus package.
set -euo pipefail
# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

missing=()
command -v openssl >/dev/null || missing+=(openssl)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v curl >/dev/null || missing+=(curl)
command -v unzip >/dev/null || missing+=(unzip)
if [ "${#missing[@]}" -gt 0 ]; then
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${missing[@]}"
fi
"$(dirname "${BASH_SOURCE[0]}")/postgres.sh"
"$(dirname "${BASH_SOURCE[0]}")/prometheus.sh" >/dev/null
