#!/usr/bin/env bash
# End-to-end: the real Pulumi engine runs the real program (index.ts) with the real policy
# pack against a real API server (scripts/local-cluster.sh: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler on loopback; kwok simulates the nodes, so pods
# become Ready but no database runs). Steps:
#   1. preview with the policy pack: no mandatory violation
#   2. up (including Pulumi's wait for the StatefulSet); outputs match the API server; every
#      object exists; claims data-mysql-0..2 are bound
#   3. replicas 5: pods and claims 3 and 4 appear; back to 3: the claims stay
#   4. one replica, below the pack's minimum (mysql-minimum-replicas, mandatory in
#      policy-config.json): preview and up fail with that policy's message alone (no provider
#      error: replicas is updated in place, so the provider's dry run has nothing to refuse)
#      and the cluster is unchanged
#   5. storageSize 10Gi -> 20Gi: refused on a class without expansion; then every claim grows
#      in place with the StatefulSet's UID unchanged; a new pod gets 20Gi; a shrink is refused
#      (test/e2e/volume-growth.sh)
#   6. destroy: the stack's objects are gone, the data claims stay
# Prints one line per check and closes with `e2e: N passed, N failed`.
# Env: E2E_KEEP=1 keeps the work directory (logs, kubeconfig, state) for inspection.
# The helpers below run through `check` and the traps, which shellcheck does not follow.
# shellcheck disable=SC2317
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=SCRIPTDIR/../../scripts/local-cluster.sh
source "$ROOT/scripts/local-cluster.sh"
set +e

E2E_NAME=e2e
NS=mysql
# shellcheck source=SCRIPTDIR/lib.sh
source "$ROOT/test/e2e/lib.sh"

# --- toolchain and cluster ---------------------------------------------------------------
if ! lc_toolchain; then
  not_ok "toolchain: scripts/toolchain.sh could not provide every tool (see its messages above)"
  finish
fi
plugin_build() { basename "$(dirname "$(command -v "$1")")"; }
echo "e2e: pulumi $(pulumi version), $(plugin_build pulumi-language-nodejs), $(plugin_build pulumi-resource-kubernetes), $(kube-apiserver --version), etcd $(etcd --version | awk '/etcd Version/ {print $3}'), kwok $(kwok --version 2>&1 | head -n 1)"
if ! lc_start "$WORK" kwok; then
  not_ok "local control plane starts (logs in $WORK/logs)"
  E2E_KEEP=1
  finish
fi
ok "local control plane: $(k get nodes --no-headers | wc -l) Ready kwok nodes in $(k get nodes -o jsonpath='{range .items[*]}{.metadata.labels.topology\.kubernetes\.io/zone}{"\n"}{end}' | sort -u | wc -l) zones"

lc_pulumi_env "$WORK"
cd "$(lc_project "$WORK")" || finish
pulumi stack init e2e --non-interactive >/dev/null 2>&1
pulumi config set --path 'pulumi:disable-default-providers[0]' '*'
pulumi config set cluster minikube
pulumi config set kubeconfig "$WORK/kubeconfig"
pulumi config set storageClass "$STORAGE_CLASS"
pulumi config set replicas 3
lc_set_passwords

# Object kind/name@resourceVersion of everything the stack manages, and the claims.
cluster_snapshot() {
  k get namespace "$NS" -o jsonpath='{.kind}/{.metadata.name}@{.metadata.resourceVersion}{"\n"}' 2>/dev/null
  k get -n "$NS" statefulset,service,configmap,secret,poddisruptionbudget,networkpolicy,persistentvolumeclaim \
    -o jsonpath='{range .items[*]}{.kind}/{.metadata.name}@{.metadata.resourceVersion}{"\n"}{end}' 2>/dev/null | sort
}
pvc_bound() { [ "$(k get pvc "$1" -n "$NS" -o jsonpath='{.status.phase}' 2>/dev/null)" = Bound ]; }
pod_ready() {
  [ "$(k get pod "$1" -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}
exists() { k get "$@" >/dev/null 2>&1; }
absent() { ! k get "$@" >/dev/null 2>&1; }
output() { jq -r "$1" "$WORK/outputs.json"; }

# --- 1. preview with the policy pack -----------------------------------------------------
pulumi_run preview "${with_policy[@]}"
rc=$?
check "preview --policy-pack policy succeeds (exit $rc; $log)" test $rc -eq 0
[ $rc -eq 0 ] || grep -m 3 'error:' "$log"
pack_passed() { grep -q '✅ replicated-mysql@' "$1" && ! grep -q '\[mandatory\]' "$1"; }
check "the policy pack ran and reported no mandatory violation" pack_passed "$log"
check "preview changes nothing in the cluster" absent namespace "$NS"

# --- 2. up ---------------------------------------------------------------------------------
pulumi_run up --yes --skip-preview "${with_policy[@]}"
rc=$?
check "up succeeds, including the wait for the StatefulSet (exit $rc; $log)" test $rc -eq 0
[ $rc -eq 0 ] || grep -m 3 'error:' "$log"
pulumi stack output --json --show-secrets >"$WORK/outputs.json" 2>/dev/null

check "StatefulSet mysql reports 3 of 3 replicas ready" \
  test "$(k get statefulset mysql -n "$NS" -o jsonpath='{.status.readyReplicas}/{.spec.replicas}')" = 3/3
for obj in configmap/mysql service/mysql service/mysql-read service/mysql-metrics statefulset/mysql poddisruptionbudget/mysql \
  networkpolicy/mysql secret/mysql-credentials; do
  check "API server has $obj" exists -n "$NS" "$obj"
done
check "service/mysql is headless" test "$(k get service mysql -n "$NS" -o jsonpath='{.spec.clusterIP}')" = None
for i in 0 1 2; do
  check "claim data-mysql-$i is bound to a volume" pvc_bound "data-mysql-$i"
  check "pod mysql-$i is Ready" pod_ready "mysql-$i"
done

# Outputs against the API server.
check "output namespace is $NS" test "$(output .namespace)" = "$NS"
check "output storageClass is the claims' class" \
  test "$(output .storageClass)" = "$(k get pvc data-mysql-0 -n "$NS" -o jsonpath='{.spec.storageClassName}')"
endpoint_is_pod() { # host:port ordinal
  local host=${1%:*} port=${1##*:}
  IFS=. read -r pod service ns _ <<<"$host"
  [ "$pod" = "mysql-$2" ] && [ "$ns" = "$NS" ] && [ "$port" = 3306 ] \
    && [ "$(k get pod "$pod" -n "$ns" -o jsonpath='{.spec.subdomain}')" = "$service" ] \
    && [ "$(k get service "$service" -n "$ns" -o jsonpath='{.spec.clusterIP}')" = None ] \
    && k get service "$service" -n "$ns" -o jsonpath='{.spec.ports[*].port}' | grep -qw "$port"
}
check "primaryEndpoint $(output .primaryEndpoint) names pod 0 through the headless Service" \
  endpoint_is_pod "$(output .primaryEndpoint)" 0
replicas_are_pods() {
  [ "$(output '.replicaEndpoints | length')" = 2 ] \
    && endpoint_is_pod "$(output '.replicaEndpoints[0]')" 1 && endpoint_is_pod "$(output '.replicaEndpoints[1]')" 2
}
check "replicaEndpoints name pods 1 and 2 through the headless Service" replicas_are_pods
read_host=$(output .readEndpoint)
check "readEndpoint $read_host is the read Service, port 3306" \
  test "$(k get service "${read_host%%.*}" -n "$NS" -o jsonpath='{.spec.type}/{.spec.ports[*].port}')" = ClusterIP/3306
check "passwordSecret names the Secret, whose root-password is the rootPassword output" \
  test "$(k get secret "$(output .passwordSecret)" -n "$NS" -o jsonpath='{.data.root-password}' | base64 -d)" = "$(output .rootPassword)"
check "rootPassword is a Pulumi secret in the stack outputs" \
  test "$(pulumi stack output rootPassword 2>/dev/null)" = "[secret]"

# The objects as the API server holds them, for kube-linter (policy/README.md: what it
# reports); the Secret with its keys but empty values, so references resolve and no password
# is written to disk.
{
  k get -n "$NS" statefulset,service,configmap,poddisruptionbudget,networkpolicy -o yaml
  echo "---"
  k get -n "$NS" secret mysql-credentials -o json | jq '.data |= map_values("") | del(.metadata.annotations)'
} >"$WORK/objects.yaml"
if command -v kube-linter >/dev/null; then
  kube-linter lint "$WORK/objects.yaml" >"$WORK/kube-linter.txt" 2>&1
  echo "e2e: kube-linter on the live objects: $(grep -c 'remediation' "$WORK/kube-linter.txt") finding(s), in $WORK/kube-linter.txt"
fi

# --- 3. scale to 5 and back to 3 --------------------------------------------------------------
pulumi config set replicas 5
pulumi_run up --yes --skip-preview "${with_policy[@]}"
check "up to 5 replicas succeeds ($log)" test $? -eq 0
for i in 3 4; do
  check "pod mysql-$i is Ready" pod_ready "mysql-$i"
  check "claim data-mysql-$i is bound" pvc_bound "data-mysql-$i"
done
check "output replicaEndpoints has 4 entries" \
  test "$(pulumi stack output replicaEndpoints --json 2>/dev/null | jq length)" = 4
pulumi config set replicas 3
pulumi_run up --yes --skip-preview "${with_policy[@]}"
check "up back to 3 replicas succeeds ($log)" test $? -eq 0
for i in 3 4; do
  check "pod mysql-$i is gone" k wait --for=delete "pod/mysql-$i" -n "$NS" --timeout 60s
  check "claim data-mysql-$i stays after scaling down" pvc_bound "data-mysql-$i"
done

# --- 4. a config that breaks a policy ----------------------------------------------------------
# replicas is updated in place, so the provider has nothing to refuse: the run fails because
# of the policy alone.
before=$(cluster_snapshot)
pulumi config set replicas 1
violation() { grep -q '❌ replicated-mysql@' "$1" && grep -q '\[mandatory\].*mysql-minimum-replicas' "$1" \
  && grep -q 'spec.replicas is 1, fewer than the minimum 2' "$1"; }
# An error diagnostic of any kubernetes resource (the provider's), as the CLI prints them:
# "  kubernetes:apps/v1:StatefulSet (mysql):" then "    error: ...".
no_provider_error() { awk '/^  [^ ].*:$/ { res = $1 } /^    error:/ && res ~ /^kubernetes:/ { found = 1 } END { exit found }' "$1"; }
pulumi_run preview "${with_policy[@]}"
check "preview with replicas 1 fails ($log)" test $? -ne 0
check "... with mysql-minimum-replicas's mandatory violation and message" violation "$log"
check "... and no error from the provider" no_provider_error "$log"
pulumi_run up --yes "${with_policy[@]}"
check "up with replicas 1 fails too ($log)" test $? -ne 0
check "... with the same mandatory violation" violation "$log"
check "... and no error from the provider" no_provider_error "$log"
after=$(cluster_snapshot)
check "nothing changed in the cluster ($(wc -l <<<"$before") objects, same resourceVersions)" \
  test "$before" = "$after"
pulumi config set replicas 3

# --- 5. the data volumes grow in place (test/e2e/volume-growth.sh) ------------------------------
# shellcheck source=SCRIPTDIR/volume-growth.sh
source "$ROOT/test/e2e/volume-growth.sh"
e2e_volume_growth

# --- 6. destroy --------------------------------------------------------------------------------
pulumi_run destroy --yes
check "destroy succeeds ($log)" test $? -eq 0
for obj in statefulset/mysql service/mysql service/mysql-read service/mysql-metrics configmap/mysql poddisruptionbudget/mysql \
  networkpolicy/mysql secret/mysql-credentials; do
  check "destroy removed $obj" absent -n "$NS" "$obj"
done
for i in 0 1 2 3 4; do
  check "claim data-mysql-$i stays after destroy (README: the PVCs stay)" exists pvc "data-mysql-$i" -n "$NS"
done
check "the 5 volumes of data-mysql-0..4 stay (Retain)" \
  test "$(k get pv --no-headers 2>/dev/null | grep -c " $NS/data-mysql-[0-4] ")" = 5

finish
