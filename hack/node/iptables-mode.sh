#!/bin/sh
# Entry point of the kube-proxy image (installed as /usr/local/bin/kube-proxy; the real
# binary is /usr/local/bin/kube-proxy.bin). kube-proxy shells out to `iptables`, which
# must use the same backend (legacy or nft) as the node's kubelet, or its rules are
# invisible to each other. Pick the backend that already holds kubelet's
# KUBE-IPTABLES-HINT chain; otherwise the one with more rules; nft by default.
set -eu
has_hint() { "iptables-$1-save" -t mangle 2>/dev/null | grep -q '^:KUBE-IPTABLES-HINT'; }
count() { "iptables-$1-save" 2>/dev/null | grep -c '^-' || true; }
if has_hint nft; then mode=nft
elif has_hint legacy; then mode=legacy
elif [ "$(count legacy)" -gt "$(count nft)" ]; then mode=legacy
else mode=nft
fi
for t in iptables ip6tables; do
  update-alternatives --set "$t" "/usr/sbin/$t-$mode" >/dev/null 2>&1 || true
done
exec /usr/local/bin/kube-proxy.bin "$@"
