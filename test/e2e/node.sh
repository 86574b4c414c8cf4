#!/usr/bin/env bash
# End-to-end on the real node: scripts/local-cluster.sh starts a control plane and one real
# kubelet (containerd, runc, CNI bridge, kube-proxy, CoreDNS, kube-router for NetworkPolicy)
# in a throwaway directory, with images built from Debian packages (scripts/node-images.sh).
# Then, for each engine (E2E_ENGINES, default "mysql mariadb"), in namespace e2e-<engine>:
#   1. bring-up: `pulumi up --policy-pack policy` until all 3 pods are Ready (time printed)
#   2. the tutorial's write on mysql-0.mysql, read through mysql-read, >= 2 server ids
#   3. the image's own packaged config says bind-address = 127.0.0.1, yet replicas hold the
#      primary's row: the server runs with our configuration only
#   4. `kubectl delete pod` of the primary, then of a replica: each comes back Ready, data kept
#   5. replicas 3 -> 5 (the new pods clone and hold the row) -> 3 (pods gone, claims stay)
#   6. NetworkPolicy: a pod of another namespace cannot reach 3306 (but scrapes `mysql_up 1`
#      from the exporter, which the policy opens to every namespace); a client pod of the namespace reaches 3306;
#      (mariadb) that client cannot reach the clone port 3307
#   7. an errant transaction (root writes on mysql-2): that pod leaves Ready, and its
#      readiness failure, as Kubernetes records it, names the errant transactions
#   8. destroy
# Kept on kwok (test/e2e/run.sh): spreading over zones, the policy refusal, volume growth.
# Prints one line per check, closes with `e2e-node: N passed, N failed`. Needs root.
# Env: E2E_KEEP=1 keeps the work directory; E2E_ENGINES picks engines; each engine's bring-up
# figures are appended as a JSON line to E2E_BRINGUP_OUT (default bench/node-bringup.jsonl,
# which `npm run bench` reports beside the harness's figure; empty: not written).
# shellcheck disable=SC2317 # helpers run through `check` and the traps
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
E2E_BRINGUP_OUT=${E2E_BRINGUP_OUT-$ROOT/bench/node-bringup.jsonl}
# shellcheck source=SCRIPTDIR/../../scripts/local-cluster.sh
source "$ROOT/scripts/local-cluster.sh"
set +e

E2E_NAME=e2e-node
# shellcheck source=SCRIPTDIR/lib.sh
source "$ROOT/test/e2e/lib.sh"
ENGINES=${E2E_ENGINES:-mysql mariadb}
# Debian's packaged server config in each image: both say bind-address = 127.0.0.1.
declare -A PACKAGED_CONFIG=([mysql]=mysql.conf.d/mysqld.cnf [mariadb]=mariadb.conf.d/50-server.cnf)

# True when `kubectl logs` of a container holds TEXT: the API server reads it from the kubelet,
# which keeps pod logs in the node's state directory (podLogsDir).
log_says() { # ns pod container text
  k logs "$2" -n "$1" -c "$3" 2>/dev/null | grep -qF "$4"
}
pod_ready() { # ns pod
  [ "$(k get pod "$2" -n "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}
not_ready() { ! pod_ready "$@"; }
has_claim() { k get pvc "$2" -n "$1" >/dev/null 2>&1; } # ns claim
# Seconds until POD is Ready (at most LIMIT), printed; fails on the limit.
time_to_ready() { # ns pod limit
  local start=$SECONDS
  lc_wait "$3" "pod $2 Ready" pod_ready "$1" "$2" || return 1
  echo $((SECONDS - start))
}

# "open" or "closed": whether a TCP connection to HOST:PORT from a new pod of NS opens within
# 5 s, once the pod is admitted: first HOST:OPEN_PORT (a port the policy lets it reach;
# PORT itself by default) must open (LC_POD_WAIT_OPEN), so "closed" is the policy's answer
# and not a pod the policy controller has not seen yet.
tcp_probe() { # ns image host port [open-port]
  lc_pod_run "$1" "probe-$RANDOM" "$2" "$LC_POD_WAIT_OPEN
wait_open $3 ${5:-$4} || exit 1
if timeout 5 bash -c '</dev/tcp/$3/$4' 2>/dev/null; then echo open; else echo closed; fi" | grep -E '^(open|closed)$'
}
reaches() { [ "$(tcp_probe "$@")" = open ]; }
# Whether a scrape of HOST:9104/metrics from a new pod of NS (plain HTTP over bash's
# /dev/tcp: the images carry no HTTP client) answers `mysql_up 1`.
scrapes_mysql_up() { # ns image host
  lc_pod_run "$1" "scrape-$RANDOM" "$2" "$LC_POD_WAIT_OPEN
wait_open $3 9104 || exit 1
exec 3<>/dev/tcp/$3/9104 && printf 'GET /metrics HTTP/1.0\r\nHost: $3\r\n\r\n' >&3 && timeout 20 cat <&3" | grep -qx 'mysql_up 1'
}
blocked() { [ "$(tcp_probe "$@")" = closed ]; }
# Whether HOST holds the tutorial's row, as root from a client pod of NS.
hello_on() { # ns image host
  lc_pod_run "$1" "read-$RANDOM" "$2" "$LC_POD_WAIT_OPEN
wait_open $3 3306 && mysql -h $3 -u root -N -e 'SELECT message FROM test.messages'" mysql-credentials | grep -qx hello
}

# --- toolchain, images, node ---------------------------------------------------------------
lc_sudo_check || { not_ok "runs as root (the node needs it)"; finish; }
lc_toolchain || { not_ok "toolchain: scripts/toolchain.sh could not provide every tool"; finish; }
# umoci (Debian's package) writes the images: install the node's packages first.
lc_node_packages || { not_ok "the node's Debian packages (containerd, runc, CNI plugins, umoci...)"; finish; }
bash "$ROOT/scripts/node-images.sh" build >/dev/null || { not_ok "node images build (scripts/node-images.sh)"; finish; }
start=$SECONDS
if ! lc_start "$WORK" real; then
  not_ok "control plane and real node start (logs in $WORK/logs)"
  E2E_KEEP=1
  finish
fi
ok "control plane and node $NODE_NAME Ready in $((SECONDS - start)) s (images imported)"
k create namespace e2e-outsider >/dev/null
# A pod can be created once the controllers gave the namespace its default ServiceAccount.
lc_wait 60 "namespace e2e-outsider's ServiceAccount" k get serviceaccount default -n e2e-outsider
dns_image=$(lc_image_ref mysql)
resolved=$(lc_pod_run e2e-outsider dns-probe "$dns_image" 'getent hosts kubernetes.default.svc.cluster.local; getent hosts deb.debian.org || echo "no answer for deb.debian.org"')
check "a pod resolves kubernetes.default.svc.cluster.local to the API's Service address 10.96.0.1 (CoreDNS)" \
  grep -q '^10\.96\.0\.1 ' <<<"$resolved"
check "... and gets no answer for a name outside the cluster (CoreDNS has no forwarder)" \
  grep -qx 'no answer for deb.debian.org' <<<"$resolved"
echo "    ${resolved//$'\n'/$'\n'    }"
lc_pulumi_env "$WORK"
cd "$(lc_project "$WORK")" || finish

for engine in $ENGINES; do
  ns=e2e-$engine
  image=$(lc_image_ref "$engine")
  echo "e2e-node: --- engine $engine ($image) in namespace $ns ---"
  # The repository's local stack file, with what only this run knows.
  cp "$ROOT/Pulumi.local.yaml" "Pulumi.e2e-$engine.yaml"
  pulumi stack init "e2e-$engine" --non-interactive >/dev/null 2>&1
  pulumi config set kubeconfig "$WORK/kubeconfig"
  pulumi config set namespace "$ns"
  pulumi config set engine "$engine"
  pulumi config set image "$image"
  [ "$engine" = mariadb ] && pulumi config set backupImage "$image"
  pulumi config set metricsImage "$(lc_image_ref mysqld-exporter)"
  lc_set_passwords

  # 1. bring-up
  start=$SECONDS
  pulumi_run up --yes --skip-preview "${with_policy[@]}"
  rc=$?
  took=$((SECONDS - start))
  check "$engine: up --policy-pack policy succeeds, 3 pods from empty volumes to Ready in $took s (exit $rc; $log)" test $rc -eq 0
  [ $rc -eq 0 ] || { grep -m 3 'error:' "$log"; k get pods -n "$ns" -o wide; continue; }
  # The cluster's own clock: StatefulSet created -> the last of its pods Ready.
  pods_ready=$(lc_bringup_seconds "$ns") || pods_ready=null
  echo "e2e-node: $engine: StatefulSet created -> 3 pods Ready: $pods_ready s (pulumi up in all: $took s)"
  if [ -n "${E2E_BRINGUP_OUT:-}" ] && [ "$pods_ready" != null ]; then
    jq -cn --arg engine "$engine" --argjson ready "$pods_ready" --argjson up "$took" \
      --arg when "$(date -u +%FT%TZ)" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
      '{engine: $engine, podsReadySeconds: $ready, pulumiUpSeconds: $up, measured: $when, loadAverage: $load}' >>"$E2E_BRINGUP_OUT"
  fi
  for i in 0 1 2; do check "$engine: pod mysql-$i is Ready" pod_ready "$ns" "mysql-$i"; done
  check "$engine: kubectl logs mysql-1 -c clone-from-peer says the clone completed" \
    log_says "$ns" mysql-1 clone-from-peer "clone complete in"

  # 2. the tutorial
  out=$(lc_tutorial_check "$ns" "$image" "tutorial-client")
  rc=$?
  echo "    ${out//$'\n'/$'\n'    }"
  check "$engine: the tutorial's write on mysql-0.mysql, read through mysql-read, >= 2 server ids" test $rc -eq 0

  # 3. the image's config does not win over ours
  tree=$(bash "$ROOT/scripts/engine-rootfs.sh" "$engine" --cached)
  check "$engine: the image's own ${PACKAGED_CONFIG[$engine]} sets bind-address = 127.0.0.1" \
    grep -Eq '^bind-address[[:space:]]*=[[:space:]]*127\.0\.0\.1' "$tree/etc/mysql/${PACKAGED_CONFIG[$engine]}"
  for i in 1 2; do
    check "$engine: ... yet replica mysql-$i, seeded over the pod network from its peer, holds the row" \
      hello_on "$ns" "$image" "mysql-$i.mysql"
  done

  # 4. pod deletion
  for pod in mysql-0 mysql-2; do
    k delete pod "$pod" -n "$ns" --wait=false >/dev/null
    lc_wait 60 "pod $pod to leave Ready" not_ready "$ns" "$pod"
    secs=$(time_to_ready "$ns" "$pod" 300)
    check "$engine: deleted $pod is Ready again${secs:+ in $secs s}" test -n "$secs"
    check "$engine: ... and holds the row" hello_on "$ns" "$image" "$pod.mysql"
  done

  # 5. scale 3 -> 5 -> 3
  pulumi config set replicas 5
  start=$SECONDS
  pulumi_run up --yes --skip-preview "${with_policy[@]}"
  check "$engine: up to 5 replicas succeeds in $((SECONDS - start)) s ($log)" test $? -eq 0
  for i in 3 4; do
    check "$engine: new pod mysql-$i is Ready" pod_ready "$ns" "mysql-$i"
    check "$engine: ... cloned its peer and holds the row" hello_on "$ns" "$image" "mysql-$i.mysql"
  done
  pulumi config set replicas 3
  pulumi_run up --yes --skip-preview "${with_policy[@]}"
  check "$engine: up back to 3 replicas succeeds ($log)" test $? -eq 0
  for i in 3 4; do
    check "$engine: pod mysql-$i is gone" k wait --for=delete "pod/mysql-$i" -n "$ns" --timeout 120s
    check "$engine: claim data-mysql-$i stays" has_claim "$ns" "data-mysql-$i"
  done

  # 6. NetworkPolicy
  primary_ip=$(k get pod mysql-0 -n "$ns" -o jsonpath='{.status.podIP}')
  check "$engine: a pod of another namespace scrapes the exporter on mysql-0 ($primary_ip:9104): mysql_up 1" \
    scrapes_mysql_up e2e-outsider "$image" "$primary_ip"
  check "$engine: ... but not 3306 (the NetworkPolicy)" blocked e2e-outsider "$image" "$primary_ip" 3306 9104
  check "$engine: a client pod of namespace $ns reaches 3306 of mysql-0" reaches "$ns" "$image" mysql-0.mysql 3306
  if [ "$engine" = mariadb ]; then
    check "$engine: ... but not the clone port 3307 (peers only)" blocked "$ns" "$image" mysql-0.mysql 3307 3306
  fi

  # 7. an errant transaction on a replica, made as an administrator would: root lifts the
  # replica's read-only setting and writes. MySQL's root lifts super_read_only itself;
  # MariaDB's root over TCP may not change read_only, so the server's OS account lifts it over
  # the socket inside the pod (as the data-plane suite does). The pod leaves Ready and the
  # reason Kubernetes records names it: the signal kube-state-metrics exports
  # (kube_pod_status_ready) and MySQLReplicaNotReady reads; no exporter series carries it.
  errant_sql="CREATE DATABASE e2e_errant"
  if [ "$engine" = mysql ]; then
    errant_sql="SET GLOBAL super_read_only = OFF; $errant_sql; SET GLOBAL super_read_only = ON"
  else
    check "$engine: the server's OS account lifts read_only on replica mysql-2" \
      k exec mysql-2 -n "$ns" -c mysql -- mariadb --no-defaults --user=mysql --socket=/run/mysqld/mysqld.sock \
      -e "SET GLOBAL read_only = OFF"
  fi
  check "$engine: root writes on replica mysql-2 (an errant transaction)" lc_pod_run "$ns" "errant-$RANDOM" "$image" \
    "$LC_POD_WAIT_OPEN
wait_open mysql-2.mysql 3306 && mysql -h mysql-2.mysql -u root -e '$errant_sql'" mysql-credentials
  if [ "$engine" = mariadb ]; then
    check "$engine: ... and read_only is back on" \
      k exec mysql-2 -n "$ns" -c mysql -- mariadb --no-defaults --user=mysql --socket=/run/mysqld/mysqld.sock \
      -e "SET GLOBAL read_only = ON"
  fi
  check "$engine: ... mysql-2 leaves Ready" lc_wait 90 "pod mysql-2 to leave Ready" not_ready "$ns" mysql-2
  reason=$(k get events -n "$ns" --field-selector involvedObject.name=mysql-2,reason=Unhealthy \
    -o jsonpath='{range .items[*]}{.message}{"\n"}{end}' | grep -m 1 'errant transactions')
  check "$engine: ... and its readiness failure names the errant transactions: ${reason:0:160}" test -n "$reason"
  check "$engine: ... while mysql-1 stays Ready" pod_ready "$ns" mysql-1

  # 8. destroy
  pulumi_run destroy --yes
  check "$engine: destroy succeeds ($log)" test $? -eq 0
done

finish
