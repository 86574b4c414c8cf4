#!/usr/bin/env bash
# A local Kubernetes cluster without containers: etcd, kube-apiserver,
# kube-controller-manager and kube-scheduler on loopback, and kwok simulating six nodes in
# three zones (topology.kubernetes.io/zone zone-a..c). kwok marks scheduled pods Running and
# Ready without running anything, so no database runs; the real controllers fill in the
# StatefulSet status and bind claims to pre-made local PersistentVolumes (StorageClass
# `local-e2e`, provisioner kubernetes.io/no-provisioner, Retain).
#
#   bash scripts/local-cluster.sh up     build missing tools (scripts/toolchain.sh), start the
#                                        cluster (if not running), `pulumi up --policy-pack` the
#                                        program on it (stack `local`), print the outputs
#   bash scripts/local-cluster.sh down   stop every process it started and delete its state
#   bash scripts/local-cluster.sh status
# State (certificates, etcd data, logs, PIDs, the Pulumi backend and stack config) lives in
# $REPLICATED_MYSQL_LOCAL_DIR, default ~/.cache/replicated-mysql/local, never in the repo.
# test/e2e/run.sh sources this file for the same functions on a throwaway directory.
set -euo pipefail

LOCAL_CLUSTER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ZONES=(zone-a zone-b zone-c)
NODES_PER_ZONE=2
VOLUMES_PER_NODE=2
VOLUME_SIZE=${LOCAL_CLUSTER_VOLUME_SIZE:-10Gi}
STORAGE_CLASS=local-e2e

lc_log() { echo "local-cluster: $*" >&2; }

# A TCP port on 127.0.0.1 that nothing listens on now.
lc_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# CA, apiserver serving certificate, admin client certificate, service-account key pair.
lc_certs() { # dir
  local d=$1/pki
  mkdir -p "$d" && chmod 700 "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=local-e2e-ca" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  cat >"$d/apiserver.ext" <<'EOF'
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth
EOF
  printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext"
  lc_signed_cert "$d" apiserver "/CN=kube-apiserver" "$d/apiserver.ext"
  # system:masters: cluster-admin for the test, the controllers and kwok.
  lc_signed_cert "$d" admin "/O=system:masters/CN=local-e2e-admin" "$d/client.ext"
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
}

lc_signed_cert() { # dir name subject extfile
  openssl req -newkey rsa:2048 -nodes -subj "$3" -keyout "$1/$2.key" -out "$1/$2.csr" 2>/dev/null
  openssl x509 -req -in "$1/$2.csr" -CA "$1/ca.crt" -CAkey "$1/ca.key" -CAcreateserial \
    -days 2 -extfile "$4" -out "$1/$2.crt" 2>/dev/null
}

lc_kubeconfig() { # dir port
  local d=$1/pki
  cat >"$1/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local-e2e
  cluster:
    server: https://127.0.0.1:$2
    certificate-authority: $d/ca.crt
users:
- name: admin
  user:
    client-certificate: $d/admin.crt
    client-key: $d/admin.key
contexts:
- name: local-e2e
  context: {cluster: local-e2e, user: admin}
current-context: local-e2e
EOF
  chmod 600 "$1/kubeconfig"
}

# Starts a process in its own session (it outlives `up`), logs to DIR/logs, PID to DIR/pids.
lc_spawn() { # dir name command...
  local dir=$1 name=$2; shift 2
  mkdir -p "$dir/logs" "$dir/pids"
  setsid "$@" </dev/null >"$dir/logs/$name.log" 2>&1 &
  echo "$!" >"$dir/pids/$name.pid"
}

# True while the PID recorded for NAME is alive and still runs the binary named NAME.
lc_running() { # dir name
  local pid
  pid=$(cat "$1/pids/$2.pid" 2>/dev/null) || return 1
  tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | head -n 1 | grep -q "/$2\$"
}

lc_wait() { # seconds description command...
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      lc_log "timed out after $limit s waiting for $what"
      return 1
    fi
    sleep 1
  done
}

lc_kubectl() { kubectl --kubeconfig "$LC_DIR/kubeconfig" "$@"; }

# Starts the control plane and kwok in DIR and waits until nodes are Ready and the
# default ServiceAccount exists. Needs the toolchain on PATH.
lc_start() { # dir
  LC_DIR=$1
  mkdir -p "$LC_DIR"
  local etcd_port etcd_peer api_port
  etcd_port=$(lc_free_port); etcd_peer=$(lc_free_port); api_port=$(lc_free_port)
  lc_certs "$LC_DIR" || { lc_log "could not make certificates with openssl"; return 1; }
  lc_kubeconfig "$LC_DIR" "$api_port"
  local pki=$LC_DIR/pki

  # Progress notifications every 5 s, as kubeadm sets them (etcd's default is 10 min): the
  # API server's watch cache, and so the controllers' informers, advance on them when no
  # object of a kind changes; the StatefulSet controller requeues until it reads its own
  # write ("read version ... is not as new as written version").
  lc_spawn "$LC_DIR" etcd "$(command -v etcd)" --name local-e2e --data-dir "$LC_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "local-e2e=http://127.0.0.1:$etcd_peer" --listen-metrics-urls "" \
    --unsafe-no-fsync --quota-backend-bytes $((1024 * 1024 * 1024)) \
    --watch-progress-notify-interval 5s
  lc_wait 60 "etcd" curl -fsS "http://127.0.0.1:$etcd_port/health" || { tail -n 20 "$LC_DIR/logs/etcd.log" >&2; return 1; }

  lc_spawn "$LC_DIR" kube-apiserver "$(command -v kube-apiserver)" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-cluster-ip-range 10.96.0.0/16 --cert-dir "$LC_DIR/apiserver-certs" \
    --profiling=false
  lc_wait 120 "kube-apiserver" lc_kubectl get --raw /readyz \
    || { tail -n 20 "$LC_DIR/logs/kube-apiserver.log" >&2; return 1; }

  lc_spawn "$LC_DIR" kube-controller-manager "$(command -v kube-controller-manager)" \
    --kubeconfig "$LC_DIR/kubeconfig" --secure-port 0 --leader-elect=false \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --cluster-name local-e2e --profiling=false
  lc_spawn "$LC_DIR" kube-scheduler "$(command -v kube-scheduler)" \
    --kubeconfig "$LC_DIR/kubeconfig" --secure-port 0 --leader-elect=false --profiling=false
  # kwok manages only the nodes annotated as fake, with the stages it publishes for
  # that: nodes come up and heartbeat through leases, pods turn Ready, deleted pods go.
  # Without leases (kwok's flag default) the node controller marks the nodes NotReady
  # between kwok's sparse status updates, and with them every pod.
  lc_kwok_stages >"$LC_DIR/kwok-stages.yaml" || { lc_log "could not read kwok's stages from its module"; return 1; }
  lc_spawn "$LC_DIR" kwok "$(command -v kwok)" --kubeconfig "$LC_DIR/kubeconfig" --config "$LC_DIR/kwok-stages.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --cidr 10.0.0.1/24 --node-ip 10.0.0.1 --server-address "127.0.0.1:$(lc_free_port)" \
    --node-lease-duration-seconds 40

  lc_nodes_and_volumes | lc_kubectl apply -f - >/dev/null || return 1
  lc_wait 120 "nodes Ready" lc_kubectl wait --for condition=Ready node --all --timeout 5s \
    || { tail -n 20 "$LC_DIR/logs/kwok.log" >&2; return 1; }
  lc_wait 120 "the default ServiceAccount" lc_kubectl get serviceaccount default -n default \
    || { tail -n 20 "$LC_DIR/logs/kube-controller-manager.log" >&2; return 1; }
  lc_log "control plane up in $LC_DIR (API https://127.0.0.1:$api_port)"
}

# kwok's own stage definitions, from the kwok module the toolchain pins (module cache).
lc_kwok_stages() {
  local dir f
  dir=$(cd "$LOCAL_CLUSTER_ROOT/scripts/toolchain/kubernetes" && go mod download -json sigs.k8s.io/kwok | jq -r .Dir) || return 1
  for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
    pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    echo "---"
    cat "$dir/kustomize/stage/$f.yaml" || return 1
  done
}

# The fake nodes, the StorageClass, and VOLUMES_PER_NODE local volumes pinned to each node.
lc_nodes_and_volumes() {
  local zone n v node
  cat <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: $STORAGE_CLASS
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
EOF
  for zone in "${ZONES[@]}"; do
    for n in $(seq 1 $NODES_PER_ZONE); do
      node="kwok-$zone-$n"
      cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $node
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: $node
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    topology.kubernetes.io/zone: $zone
    type: kwok
status:
  allocatable: {cpu: "8", memory: 32Gi, pods: "110"}
  capacity: {cpu: "8", memory: 32Gi, pods: "110"}
EOF
      for v in $(seq 1 $VOLUMES_PER_NODE); do
        cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: $node-vol-$v
  labels: {local-e2e/node: $node}
spec:
  capacity: {storage: $VOLUME_SIZE}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: $STORAGE_CLASS
  local: {path: /mnt/local-e2e/vol-$v}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: kubernetes.io/hostname, operator: In, values: [$node]}
EOF
      done
    done
  done
}

# Stops what lc_start started (by recorded PID, TERM then KILL), newest first.
lc_stop() { # dir
  local dir=$1 name pid
  for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
    lc_running "$dir" "$name" || continue
    pid=$(cat "$dir/pids/$name.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do lc_running "$dir" "$name" || break; sleep 0.2; done
    if lc_running "$dir" "$name"; then kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$dir/pids/$name.pid"
  done
}

# Environment for the Pulumi CLI on a project copy in DIR/project: local file backend,
# generated passphrase, no plugin downloads, no update checks.
lc_pulumi_env() { # dir
  local dir=$1
  mkdir -p "$dir/pulumi-home" "$dir/backend"
  [ -s "$dir/passphrase" ] || (umask 077 && openssl rand -hex 24 >"$dir/passphrase")
  export PULUMI_HOME="$dir/pulumi-home"
  export PULUMI_BACKEND_URL="file://$dir/backend"
  PULUMI_CONFIG_PASSPHRASE=$(cat "$dir/passphrase")
  export PULUMI_CONFIG_PASSPHRASE
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  export PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_SKIP_CONFIRMATIONS=true
  export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true
  # `npm test` type-checks the program; here only its behaviour is under test.
  export PULUMI_NODEJS_TRANSPILE_ONLY=true
}

# The program as Pulumi sees it, in DIR/project: symlinks to the repository's files, so the
# stack's config file (Pulumi.<stack>.yaml, with its encryption salt) is written there and
# never into the repository.
lc_project() { # dir
  local project=$1/project entry
  mkdir -p "$project"
  for entry in "$LOCAL_CLUSTER_ROOT"/* "$LOCAL_CLUSTER_ROOT"/.[!.]*; do
    case "$(basename "$entry")" in
      .git | Pulumi.*.yaml) continue ;;
    esac
    ln -sfn "$entry" "$project/$(basename "$entry")"
  done
  echo "$project"
}

# Sets rootPassword, replicationPassword, backupPassword and metricsPassword as secrets when
# the stack has none, so the program creates no random provider (its plugin cannot be built from the Go
# module proxy: scripts/toolchain/README.md).
lc_set_passwords() {
  local key
  for key in rootPassword replicationPassword backupPassword metricsPassword; do
    pulumi config get "$key" >/dev/null 2>&1 || pulumi config set --secret "$key" "$(openssl rand -hex 16)"
  done
}

lc_toolchain() {
  local node_bin tools
  node_bin=$(bash "$LOCAL_CLUSTER_ROOT/scripts/setup-node.sh") || return 1
  tools=$(bash "$LOCAL_CLUSTER_ROOT/scripts/toolchain.sh") || return 1
  export PATH="$tools:$node_bin:$PATH"
}

lc_state_dir() {
  echo "${REPLICATED_MYSQL_LOCAL_DIR:-${REPLICATED_MYSQL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/replicated-mysql}/local}"
}

lc_up() {
  local dir project
  dir=$(lc_state_dir)
  lc_toolchain
  if lc_running "$dir" kube-apiserver && lc_running "$dir" etcd; then
    LC_DIR=$dir
    lc_log "control plane already running in $dir"
  else
    lc_stop "$dir"
    rm -rf "$dir"
    lc_start "$dir"
  fi
  lc_pulumi_env "$dir"
  project=$(lc_project "$dir")
  cd "$project"
  pulumi stack select --create local --non-interactive >/dev/null
  pulumi config set cluster minikube
  pulumi config set kubeconfig "$dir/kubeconfig"
  pulumi config set storageClass "$STORAGE_CLASS"
  # Only a new stack gets 3 pods: a later local:up keeps the scale the user chose.
  pulumi config get replicas >/dev/null 2>&1 || pulumi config set replicas 3
  lc_set_passwords
  pulumi up --yes --non-interactive --skip-preview --policy-pack "$LOCAL_CLUSTER_ROOT/policy" \
    --policy-pack-config "$LOCAL_CLUSTER_ROOT/test/e2e/policy-config.json"
  echo
  pulumi stack output
  cat <<EOF

Next, in this shell:
  source <(bash scripts/local-cluster.sh env) && cd $project
  kubectl get statefulset,pods,pvc -n mysql
  pulumi stack output --show-secrets
  pulumi config set replicas 5 && pulumi up --policy-pack $LOCAL_CLUSTER_ROOT/policy --policy-pack-config $LOCAL_CLUSTER_ROOT/test/e2e/policy-config.json
  npm run local:down       (from the repository: stops the cluster and removes $dir)
(kwok simulates the nodes: pods turn Ready, but no database runs in them.)
EOF
}

lc_down() {
  local dir
  dir=$(lc_state_dir)
  lc_stop "$dir"
  rm -rf "$dir"
  lc_log "stopped and removed $dir"
}

lc_status() {
  local dir name
  dir=$(lc_state_dir)
  for name in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
    if lc_running "$dir" "$name"; then echo "$name: running (PID $(cat "$dir/pids/$name.pid"))"; else echo "$name: stopped"; fi
  done
}

# The variables a shell needs to run pulumi and kubectl against the `up` cluster.
lc_env() {
  local dir
  dir=$(lc_state_dir)
  lc_toolchain
  lc_pulumi_env "$dir"
  printf 'export PATH=%q\n' "$PATH"
  printf 'export KUBECONFIG=%q\n' "$dir/kubeconfig"
  for v in PULUMI_HOME PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION PULUMI_SKIP_UPDATE_CHECK; do
    printf 'export %s=%q\n' "$v" "${!v}"
  done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-}" in
    up) lc_up ;;
    down) lc_down ;;
    status) lc_status ;;
    env) lc_env ;;
    *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
  esac
fi
