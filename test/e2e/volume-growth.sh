# shellcheck shell=bash disable=SC2154 # run.sh, which sources this file, sets log, with_policy, NS, STORAGE_CLASS
# E2E step: the data volumes grow in place through `pulumi up` (README "Grow the volumes").
# Sourced by test/e2e/run.sh, which then calls `e2e_volume_growth`. It uses run.sh's
# helpers and variables: check, k, pulumi_run (sets $log), with_policy, NS, STORAGE_CLASS.
#
# Expects: the stack `e2e` deployed and selected in the current directory, replicas 3,
# storageSize 10Gi (the default), claims data-mysql-0..2 bound on StorageClass
# $STORAGE_CLASS as scripts/local-cluster.sh makes it (no allowVolumeExpansion).
# Leaves: storageSize 20Gi in the stack config (a later `up` with less is refused, as it
# must be), replicas 3, the class allowing expansion, and one 20Gi local volume per node
# (named <its first volume>-20gi) besides the 10Gi ones.
#
# Proves, on the real API server:
#   1. growth on a class without allowVolumeExpansion is refused, naming the class, and the
#      cluster is unchanged;
#   2. once the class allows it, `up` to 20Gi keeps the StatefulSet (same UID) and every
#      pod (same UIDs), and every data-mysql-N claim requests 20Gi;
#   3. a new pod (replicas 4) gets a 20Gi claim;
#   4. shrinking is refused before any change, naming storageSize and why, as the message
#      alone (no stack trace).
# The kwok nodes cannot resize a file system: what is checked is the claims' request, which
# is what Kubernetes then hands the volume's CSI driver.

GROWN_SIZE=20Gi

# uid of each object named, in order (statefulset/mysql pod/mysql-0 ...).
volume_growth_uids() {
  local obj
  for obj in "$@"; do
    k get -n "$NS" "$obj" -o jsonpath='{.metadata.name}={.metadata.uid}{"\n"}' 2>/dev/null
  done
}

# kind/name@resourceVersion of every object of the stack in the namespace (pods are
# compared by UID instead: their status is the simulated nodes' to update).
volume_growth_snapshot() {
  k get -n "$NS" statefulset,service,configmap,secret,poddisruptionbudget,networkpolicy,persistentvolumeclaim \
    -o jsonpath='{range .items[*]}{.kind}/{.metadata.name}@{.metadata.resourceVersion}{"\n"}{end}' 2>/dev/null | sort
}

# True when claims data-mysql-0..$1-1 all request $2.
volume_growth_claims_request() { # count size
  local i
  for ((i = 0; i < $1; i++)); do
    [ "$(k get pvc "data-mysql-$i" -n "$NS" -o jsonpath='{.spec.resources.requests.storage}' 2>/dev/null)" = "$2" ] || return 1
  done
}

# One $GROWN_SIZE local volume per node, so that a new claim of that size can bind: a copy of
# one of the node's own volumes (scripts/local-cluster.sh labels them local-e2e/node).
volume_growth_volumes() {
  k get pv -l local-e2e/node -o json | jq --arg size "$GROWN_SIZE" '{
    apiVersion: "v1",
    kind: "List",
    items: [.items | unique_by(.metadata.labels["local-e2e/node"])[] | {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: {name: "\(.metadata.name)-\($size | ascii_downcase)", labels: .metadata.labels},
      spec: (.spec | del(.claimRef) | .capacity.storage = $size | .local.path += "-\($size | ascii_downcase)")
    }]
  }'
}

e2e_volume_growth() {
  local before after uids
  local objects=(statefulset/mysql pod/mysql-0 pod/mysql-1 pod/mysql-2)
  uids=$(volume_growth_uids "${objects[@]}")

  # --- 1. a class that does not allow expansion -----------------------------------------
  before=$(volume_growth_snapshot)
  pulumi config set storageSize "$GROWN_SIZE"
  pulumi_run up --yes --skip-preview "${with_policy[@]}"
  check "up to storageSize $GROWN_SIZE on class $STORAGE_CLASS without allowVolumeExpansion fails ($log)" test $? -ne 0
  check "... saying the class does not allow volume expansion" \
    grep -qF "StorageClass \"$STORAGE_CLASS\" does not allow volume expansion" "$log"
  after=$(volume_growth_snapshot)
  check "... and nothing changed in the namespace ($(wc -l <<<"$before") objects, same resourceVersions)" \
    test "$before" = "$after"

  # --- 2. growth in place -------------------------------------------------------------------
  k patch storageclass "$STORAGE_CLASS" -p '{"allowVolumeExpansion":true}' >/dev/null
  pulumi_run up --yes --skip-preview "${with_policy[@]}"
  check "up to storageSize $GROWN_SIZE succeeds once the class allows expansion ($log)" test $? -eq 0
  check "the StatefulSet and every pod keep their UIDs: nothing was replaced or restarted" \
    test "$(volume_growth_uids "${objects[@]}")" = "$uids"
  check "every claim data-mysql-0..2 requests $GROWN_SIZE" volume_growth_claims_request 3 "$GROWN_SIZE"
  check "output storageSize is $GROWN_SIZE" test "$(pulumi stack output storageSize 2>/dev/null)" = "$GROWN_SIZE"

  # --- 3. a new pod gets the new size -------------------------------------------------------
  volume_growth_volumes | k apply -f - >/dev/null
  pulumi config set replicas 4
  pulumi_run up --yes --skip-preview "${with_policy[@]}"
  check "up to 4 replicas succeeds ($log)" test $? -eq 0
  check "the new pod's claim data-mysql-3 requests $GROWN_SIZE too" volume_growth_claims_request 4 "$GROWN_SIZE"
  check "pod mysql-3 is Ready" \
    test "$(k get pod mysql-3 -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True
  check "the StatefulSet still has its UID" \
    test "$(volume_growth_uids statefulset/mysql)" = "$(head -n 1 <<<"$uids")"
  pulumi config set replicas 3
  pulumi_run up --yes --skip-preview "${with_policy[@]}"
  check "up back to 3 replicas succeeds ($log)" test $? -eq 0

  # --- 4. shrinking ---------------------------------------------------------------------------
  before=$(volume_growth_snapshot)
  pulumi config set storageSize 10Gi
  pulumi_run up --yes --skip-preview "${with_policy[@]}"
  check "up back to storageSize 10Gi fails ($log)" test $? -ne 0
  check "... naming storageSize and why" \
    grep -qF "replicated-mysql:storageSize is \"10Gi\"; allowed: \"$GROWN_SIZE\" or more, since the data volumes already have $GROWN_SIZE and Kubernetes cannot shrink a volume" "$log"
  check "... as the message alone (a RunError: no 'unhandled exception', no stack trace)" \
    lacks 'unhandled exception|^ +at .*:[0-9]+:[0-9]+\)?$' "$log"
  after=$(volume_growth_snapshot)
  check "... and nothing changed in the namespace" test "$before" = "$after"
  pulumi config set storageSize "$GROWN_SIZE"
}
