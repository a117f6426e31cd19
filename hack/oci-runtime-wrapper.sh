#!/bin/sh
# OCI runtime shim for hosts whose capability bounding set lacks some capabilities
# (here: CAP_SYS_RESOURCE). `--privileged` asks for every capability the engine knows,
# and runc then fails with "unable to apply caps: operation not permitted". This shim
# deletes the capabilities named in GRIDOPS_DROP_CAPS (default CAP_SYS_RESOURCE) from the
# OCI spec that runc is about to use, then hands over to the real runc unchanged:
#   create/run: <bundle>/config.json   (.process.capabilities.*)
#   exec:       the --process JSON file  (.capabilities.*)
# Installed by hack/docker-setup.sh (host) and baked into the kind node image (nested
# containerd), both as a separate file, never sourced.
set -eu

RUNC="${GRIDOPS_REAL_RUNC:-runc}"
DROP="${GRIDOPS_DROP_CAPS:-CAP_SYS_RESOURCE}"

drop_caps() { # file jq-path-to-capabilities-object
  [ -f "$1" ] || return 0
  tmp="$1.gridops-tmp.$$"
  jq --arg drop "$DROP" "
    ($2) as \$c
    | if (\$c | type) == \"object\" then
        $2 |= map_values(if type == \"array\" then map(select(. as \$x | (\$drop | split(\" \")) | index(\$x) | not)) else . end)
      else . end" "$1" > "$tmp" && mv "$tmp" "$1"
}

cmd=""
bundle="."
process=""
prev=""
for a in "$@"; do
  case "$prev" in
    --bundle|-b) bundle="$a" ;;
    --process|-p) process="$a" ;;
  esac
  case "$a" in
    --bundle=*) bundle="${a#--bundle=}" ;;
    --process=*) process="${a#--process=}" ;;
  esac
  if [ -z "$cmd" ]; then
    case "$a" in
      create|run|exec) case "$prev" in --root|--log|--log-format|--criu|--rootless) ;; *) cmd="$a" ;; esac ;;
    esac
  fi
  prev="$a"
done

case "$cmd" in
  create|run) drop_caps "$bundle/config.json" ".process.capabilities" ;;
  exec) [ -z "$process" ] || drop_caps "$process" ".capabilities" ;;
esac

exec "$RUNC" "$@"
