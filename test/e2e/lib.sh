# shellcheck shell=bash
# What both e2e scripts share (run.sh on kwok's nodes, node.sh on the real node): the work
# directory, its cleanup, the ok/FAIL lines and their count, kubectl and pulumi on that
# directory. Sourced after scripts/local-cluster.sh; E2E_NAME names the suite in its lines.
# The helpers run through `check` and the traps, which shellcheck does not follow.
# shellcheck disable=SC2317

WORK=$(mktemp -d "/tmp/replicated-mysql-$E2E_NAME.XXXXXX")
POLICY_CONFIG="$ROOT/test/e2e/policy-config.json"
passed=0
failed=0

# Stops what the run started and undoes the node's host changes, also on failure or Ctrl-C.
cleanup() {
  lc_stop "$WORK"
  if [ "${E2E_KEEP:-0}" = 1 ]; then echo "$E2E_NAME: kept $WORK"; else rm -rf "$WORK"; fi
  local left
  left=$(lc_node_leftovers)
  [ -z "$left" ] || echo "$E2E_NAME: WARNING: left on the host: ${left//$'\n'/; }"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { passed=$((passed + 1)); echo "ok   - $*"; }
not_ok() { failed=$((failed + 1)); echo "FAIL - $*"; }
check() { # description command...
  local what=$1; shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}
lacks() { ! grep -qE "$1" "$2"; } # extended-regex file: no line of FILE matches
finish() {
  echo "$E2E_NAME: $passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
  exit
}

k() { kubectl --kubeconfig "$WORK/kubeconfig" "$@"; }
# Runs pulumi, keeping its output in $WORK/logs/pulumi-<n>-<verb>.log (path left in $log).
PULUMI_RUNS=0
pulumi_run() {
  PULUMI_RUNS=$((PULUMI_RUNS + 1))
  log="$WORK/logs/pulumi-$(printf '%02d' "$PULUMI_RUNS")-$1.log"
  pulumi "$@" --non-interactive --color never >"$log" 2>&1
}
# shellcheck disable=SC2034 # used by the scripts that source this file
with_policy=(--policy-pack "$ROOT/policy" --policy-pack-config "$POLICY_CONFIG")
