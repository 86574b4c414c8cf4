#!/usr/bin/env bash
# A local Kubernetes cluster: etcd, kube-apiserver, kube-controller-manager and
# kube-scheduler on loopback, and either
#   - one real node (`up`, test/e2e/node.sh): containerd, runc and the CNI bridge from Debian's
#     packages, the kubelet and kube-proxy, CoreDNS without a forwarder, kube-router for
#     NetworkPolicy, images built from Debian packages (scripts/node-images.sh), local volumes
#     on the expandable StorageClass `local-node`; every host change (routes, bridge, iptables
#     guard, sysctls, cgroups) recorded before it is made and undone by `down`; or
#   - kwok simulating six nodes in three zones (test/e2e/run.sh): pods turn Ready without
#     running, for what one node cannot show (spreading over zones), on StorageClass `local-e2e`.
#
#   bash scripts/local-cluster.sh up     (root) build what is missing, start the cluster and the
#                                        node (if not running), `pulumi up --policy-pack` the
#                                        program on it (stack `local`, Pulumi.local.yaml), run the
#                                        tutorial's check, print the outputs; last line KUBECONFIG=<path>
#   bash scripts/local-cluster.sh down   (root) stop every process it started, undo every host
#                                        change, delete its state
#   bash scripts/local-cluster.sh packages   (root) install the node's Debian packages when
#                                        missing (containerd, runc, CNI plugins, iptables, ipset,
#                                        nftables, umoci; no service started), nothing else
#   bash scripts/local-cluster.sh status     which of the cluster's processes run
#   bash scripts/local-cluster.sh env    print the variables a shell needs for kubectl and pulumi
#                                        (changes nothing; fails when up left no state)
#   bash scripts/local-cluster.sh help   the usage, with each command
# State (certificates, etcd data, containerd, kubelet, volumes, logs, PIDs, the Pulumi backend
# and stack config) lives in $REPLICATED_MYSQL_LOCAL_DIR, default ~/.cache/replicated-mysql/local,
# never in the repo. The e2e scripts source this file for the same functions on a throwaway
# directory.
set -euo pipefail

LOCAL_CLUSTER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ZONES=(zone-a zone-b zone-c)
NODES_PER_ZONE=2
VOLUMES_PER_NODE=2
VOLUME_SIZE=${LOCAL_CLUSTER_VOLUME_SIZE:-10Gi}
STORAGE_CLASS=local-e2e
# The real node: its name, bridge and ranges (the service range is the API server's).
NODE_NAME=local-node
NODE_BRIDGE=rmysql0
POD_CIDR=10.244.0.0/24
NODE_GATEWAY=10.244.0.1
CLUSTER_CIDR=10.244.0.0/16
SERVICE_CIDR=10.96.0.0/16
NODE_STORAGE_CLASS=local-node
# Two engines at up to 5 pods each in one e2e run, with room to spare.
NODE_VOLUMES=12
NODE_CGROUP=replicated-mysql-node
GUARD_CHAIN=RMYSQL-GUARD
CNI_NETWORK=rmysql-node

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

# The bring-up figure of local:up, the e2e and the bench: seconds from StatefulSet STS's
# creation to the last of its pods turning Ready, on the cluster's clock (1 s resolution).
# Fails when the StatefulSet or a Ready pod is missing.
lc_bringup_seconds() { # namespace [statefulset, default mysql]
  local ns=$1 sts=${2:-mysql} created selector last_ready
  created=$(lc_kubectl get statefulset "$sts" -n "$ns" -o jsonpath='{.metadata.creationTimestamp}') || return 1
  selector=$(lc_kubectl get statefulset "$sts" -n "$ns" -o json |
    jq -r '.spec.selector.matchLabels | to_entries | map("\(.key)=\(.value)") | join(",")') || return 1
  last_ready=$(lc_kubectl get pods -n "$ns" -l "$selector" \
    -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].lastTransitionTime}{"\n"}{end}' | sort | tail -n 1)
  [ -n "$created" ] && [ -n "$last_ready" ] || return 1
  echo $(($(date -d "$last_ready" +%s) - $(date -d "$created" +%s)))
}

# Starts the control plane in DIR, then the nodes: `real` (default) the kubelet and its
# companions (lc_node_start), `kwok` six simulated nodes in three zones; waits until nodes are
# Ready and the default ServiceAccount exists. Needs the toolchain on PATH.
lc_start() { # dir [real|kwok]
  LC_DIR=$1
  local nodes=${2:-real}
  if [ "$nodes" = real ]; then lc_node_preflight || return 1; fi
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
    --service-cluster-ip-range "$SERVICE_CIDR" --cert-dir "$LC_DIR/apiserver-certs" \
    --kubelet-client-certificate "$pki/admin.crt" --kubelet-client-key "$pki/admin.key" \
    --kubelet-preferred-address-types InternalIP --profiling=false
  lc_wait 120 "kube-apiserver" lc_kubectl get --raw /readyz \
    || { tail -n 20 "$LC_DIR/logs/kube-apiserver.log" >&2; return 1; }

  lc_spawn "$LC_DIR" kube-controller-manager "$(command -v kube-controller-manager)" \
    --kubeconfig "$LC_DIR/kubeconfig" --secure-port 0 --leader-elect=false \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --cluster-name local-e2e --profiling=false \
    --allocate-node-cidrs --cluster-cidr "$CLUSTER_CIDR" --node-cidr-mask-size 24
  lc_spawn "$LC_DIR" kube-scheduler "$(command -v kube-scheduler)" \
    --kubeconfig "$LC_DIR/kubeconfig" --secure-port 0 --leader-elect=false --profiling=false
  lc_wait 120 "the default ServiceAccount" lc_kubectl get serviceaccount default -n default \
    || { tail -n 20 "$LC_DIR/logs/kube-controller-manager.log" >&2; return 1; }
  if [ "$nodes" = real ]; then
    lc_node_start || return 1
  else
    lc_kwok_start || return 1
  fi
  lc_log "control plane up in $LC_DIR (API https://127.0.0.1:$api_port)"
}

lc_kwok_start() {
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

# A StorageClass for pre-made local volumes: bound when a pod is scheduled
# (WaitForFirstConsumer), or as soon as the claim exists (Immediate).
lc_storage_class() { # name allowVolumeExpansion volumeBindingMode
  cat <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: $1
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: $3
reclaimPolicy: Retain
allowVolumeExpansion: $2
EOF
}

# A VOLUME_SIZE local PersistentVolume at PATH on NODE (labelled local-e2e/node: NODE).
lc_local_volume() { # name node class path
  cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: $1
  labels: {local-e2e/node: $2}
spec:
  capacity: {storage: $VOLUME_SIZE}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: $3
  local: {path: $4}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: kubernetes.io/hostname, operator: In, values: [$2]}
EOF
}

# The fake nodes, the StorageClass, and VOLUMES_PER_NODE local volumes pinned to each node.
lc_nodes_and_volumes() {
  local zone n v node
  # The fake nodes are in three zones: a claim must wait for its pod's node.
  lc_storage_class "$STORAGE_CLASS" false WaitForFirstConsumer
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
        lc_local_volume "$node-vol-$v" "$node" "$STORAGE_CLASS" "/mnt/local-e2e/vol-$v"
      done
    done
  done
}

# Stops what lc_start started (by recorded PID, TERM then KILL), newest first, and undoes
# what the real node changed on the host.
lc_stop() { # dir
  lc_node_stop "$1"
  lc_stop_named "$1" kwok kube-scheduler kube-controller-manager kube-apiserver etcd
}

# --- the real node (issue 12) ------------------------------------------------------------------
# One kubelet with containerd, runc and the CNI bridge (Debian's packages), kube-proxy
# (iptables), CoreDNS on the bridge address with no forwarder, kube-router for NetworkPolicy
# only, and local volumes on an expandable StorageClass. Everything the node changes on the
# host is written to DIR/node-changes before it is changed, and undone from there by
# lc_node_stop (local:down, the e2e's cleanup, a failed up).

# Sysctls the node's components change: forwarding for service traffic between pods, the
# bridge's netfilter hooks (kube-proxy, kube-router), and the six the kubelet sets.
NODE_SYSCTLS=(net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
  net.ipv4.conf.all.route_localnet vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.netfilter.nf_conntrack_max)

# Host directories the node's programs make at paths compiled into them, outside the state
# directory: the kubelet's device-plugin socket and container log links, the CNI plugins'
# results, containerd's shim sockets. Those that did not exist before `up` are removed by
# `down`. (Pod logs go to the state directory: podLogsDir.)
NODE_HOST_DIRS=(/var/lib/kubelet /var/log/containers /var/lib/cni /run/containerd)

# Host chains, ipsets and nftables tables the node's components make (kubelet, kube-proxy,
# kube-router, ours): present before `up` means another node's leftovers.
NODE_CHAINS='^(KUBE-|RMYSQL-)'
NODE_IPSETS='^(KUBE-|kube-router)'

# Debian's packages the node runs: containerd, runc, the CNI plugins, iptables, ipset and nft
# (for teardown), and umoci, which writes the images (scripts/node-images.sh). Installed when
# missing, with no service started (policy-rc.d says no, as scripts/setup-dataplane.sh does): the node's containerd is ours, with its own config.
NODE_PACKAGES=(containerd runc containernetworking-plugins iptables ipset nftables umoci)
lc_node_packages() {
  local p missing=() made_policy=no policy=/usr/sbin/policy-rc.d rc=0
  for p in "${NODE_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  lc_log "installing Debian packages: ${missing[*]}"
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy" && made_policy=yes
  fi
  { DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"; } >&2 || rc=1
  [ $made_policy = no ] || rm -f "$policy"
  [ $rc -eq 0 ] || lc_log "could not install ${missing[*]}"
  return $rc
}

lc_sudo_check() { [ "$(id -u)" -eq 0 ] || { lc_log "the real node needs root (containerd, the kubelet, routes, iptables)"; return 1; }; }

# What another node left on this host, one line each; nothing when the host is clean.
lc_node_leftovers() {
  local t
  ! ip link show "$NODE_BRIDGE" >/dev/null 2>&1 || echo "bridge $NODE_BRIDGE"
  ip route show type blackhole | grep -E "^blackhole ($SERVICE_CIDR|$CLUSTER_CIDR)( |\$)" | sed 's/^/route /' || true
  for t in filter nat mangle; do
    iptables-save -t "$t" 2>/dev/null | sed -n 's/^:\([^ ]*\) .*/\1/p' | grep -E "$NODE_CHAINS" | sed "s/^/iptables $t chain /" || true
    ip6tables-save -t "$t" 2>/dev/null | sed -n 's/^:\([^ ]*\) .*/\1/p' | grep -E "$NODE_CHAINS" | sed "s/^/ip6tables $t chain /" || true
  done
  ipset list -n 2>/dev/null | grep -E "$NODE_IPSETS" | sed 's/^/ipset /' || true
  nft list tables 2>/dev/null | grep -E ' kube-proxy$' | sed 's/^/nftables /' || true
  for t in /sys/fs/cgroup/*/"$NODE_CGROUP"; do [ ! -d "$t" ] || echo "cgroup $t"; done
  return 0
}

lc_change() { echo "$*" >>"$LC_DIR/node-changes"; }

# The host's network guard, set before any component starts: blackholes for the service and
# cluster ranges, the pod range only on the node's bridge, pod traffic dropped unless it stays
# on the bridge (or asks the node's DNS), and the sysctls saved for restore.
lc_guard_up() {
  local s
  : >"$LC_DIR/node-changes"
  for s in "${NODE_SYSCTLS[@]}"; do
    lc_change sysctl "$s" "$(sysctl -n "$s")" || return 1
  done
  for s in "${NODE_HOST_DIRS[@]}"; do [ -e "$s" ] || lc_change dir "$s"; done
  ipset list -n 2>/dev/null | sort >"$LC_DIR/ipsets-before"
  find /run/netns -maxdepth 1 -name 'cni-*' -printf '%f\n' 2>/dev/null | sort >"$LC_DIR/netns-before"
  lc_change link "$NODE_BRIDGE"
  ip link add "$NODE_BRIDGE" type bridge && ip addr add "$NODE_GATEWAY/${POD_CIDR#*/}" dev "$NODE_BRIDGE" \
    && ip link set "$NODE_BRIDGE" up || return 1
  for s in "$SERVICE_CIDR" "$CLUSTER_CIDR"; do
    lc_change route "$s"
    ip route add blackhole "$s" || return 1
  done
  lc_change iptables
  iptables -N "$GUARD_CHAIN" && iptables -N "$GUARD_CHAIN-IN" || return 1
  iptables -A "$GUARD_CHAIN" -i "$NODE_BRIDGE" -o "$NODE_BRIDGE" -j RETURN
  iptables -A "$GUARD_CHAIN" -i "$NODE_BRIDGE" -j DROP
  iptables -A "$GUARD_CHAIN" -o "$NODE_BRIDGE" -j DROP
  iptables -A "$GUARD_CHAIN-IN" -i "$NODE_BRIDGE" -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
  iptables -A "$GUARD_CHAIN-IN" -i "$NODE_BRIDGE" -d "$NODE_GATEWAY" -p udp --dport 53 -j RETURN
  iptables -A "$GUARD_CHAIN-IN" -i "$NODE_BRIDGE" -d "$NODE_GATEWAY" -p tcp --dport 53 -j RETURN
  iptables -A "$GUARD_CHAIN-IN" -i "$NODE_BRIDGE" -j DROP
  iptables -I FORWARD 1 -j "$GUARD_CHAIN" && iptables -I INPUT 1 -j "$GUARD_CHAIN-IN" || return 1
  # IPv6: pods get no address, and nothing of theirs is forwarded.
  lc_change ip6tables
  ip6tables -N "$GUARD_CHAIN" && ip6tables -A "$GUARD_CHAIN" -i "$NODE_BRIDGE" -j DROP \
    && ip6tables -A "$GUARD_CHAIN" -o "$NODE_BRIDGE" -j DROP && ip6tables -I FORWARD 1 -j "$GUARD_CHAIN" || return 1
  sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
  # The kubelet's cgroupRoot, in every cgroup v1 hierarchy (removed by lc_guard_down); a new
  # cpuset starts empty, so it gets its parent's CPUs and memory nodes.
  for s in /sys/fs/cgroup/*/; do
    if [ "$s" = /sys/fs/cgroup/unified/ ] || [ ! -e "$s/cgroup.procs" ]; then continue; fi
    mkdir -p "$s$NODE_CGROUP" || return 1
    if [ -e "$s/cpuset.cpus" ]; then
      cat "$s/cpuset.cpus" >"$s$NODE_CGROUP/cpuset.cpus" && cat "$s/cpuset.mems" >"$s$NODE_CGROUP/cpuset.mems" || return 1
    fi
  done
}

# Undoes DIR/node-changes and whatever the components left (their chains, ipsets, cgroups).
lc_guard_down() { # dir
  local dir=$1 kind a b t cmd
  [ -f "$dir/node-changes" ] || return 0
  for cmd in iptables ip6tables; do
    for t in filter nat mangle; do
      # The jumps into our and the components' chains, then the chains themselves.
      "$cmd-save" -t "$t" 2>/dev/null | awk -v t="$t" -v re="$NODE_CHAINS" '
        BEGIN { print "*" t }
        /^:/ { c = substr($1, 2); if (c ~ re) chains[++n] = c }
        /^-A / && $2 !~ re && / -j / { for (i = 1; i < NF; i++) if ($i == "-j" && $(i + 1) ~ re) { sub(/^-A/, "-D"); print } }
        END { for (i = 1; i <= n; i++) print "-F " chains[i]; for (i = 1; i <= n; i++) print "-X " chains[i]; print "COMMIT" }' \
        | "$cmd-restore" --noflush || lc_log "could not remove the node's $cmd $t chains"
    done
  done
  if [ -f "$dir/ipsets-before" ]; then
    ipset list -n 2>/dev/null | sort | comm -13 "$dir/ipsets-before" - | while read -r a; do ipset destroy "$a" || true; done || true
  fi
  nft list tables 2>/dev/null | awk '$3 == "kube-proxy" { print $2 }' | while read -r a; do nft delete table "$a" kube-proxy; done || true
  for t in /sys/fs/cgroup/*/"$NODE_CGROUP"; do
    [ ! -d "$t" ] || find "$t" -depth -type d -exec rmdir {} + 2>/dev/null || lc_log "could not remove cgroup $t"
  done
  rm -f /var/lib/cni/results/"$CNI_NETWORK"-*
  tac "$dir/node-changes" | while read -r kind a b; do
    case $kind in
      sysctl) sysctl -qw "$a=$b" || lc_log "could not restore $a to $b" ;;
      link) ip link del "$a" 2>/dev/null || true ;;
      route) ip route del blackhole "$a" 2>/dev/null || true ;;
      dir) rm -rf --one-file-system "$a" || lc_log "could not remove $a" ;;
    esac
  done
  rm -f "$dir/node-changes"
}

lc_containerd_config() {
  local d=$LC_DIR/containerd
  mkdir -p "$d" "$LC_DIR/cni/net.d"
  cat >"$d/config.toml" <<EOT
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$d/containerd.sock"
[ttrpc]
  address = "$d/containerd-ttrpc.sock"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$(lc_image_ref pause)"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # No CAP_SYS_RESOURCE here: containers may only raise their OOM score.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$LC_DIR/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "$d/runc"
        SystemdCgroup = false
EOT
  cat >"$LC_DIR/cni/net.d/10-$CNI_NETWORK.conflist" <<EOT
{"cniVersion": "0.4.0", "name": "$CNI_NETWORK", "plugins": [{
  "type": "bridge", "bridge": "$NODE_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
  "ipam": {"type": "host-local", "dataDir": "$LC_DIR/cni/ipam",
    "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$NODE_GATEWAY"}]], "routes": [{"dst": "0.0.0.0/0"}]}}]}
EOT
}

lc_image_ref() { awk -v n="$1" '$1 == n { print $2 }' "$LC_DIR/images"; }

lc_ctr() { ctr --address "$LC_DIR/containerd/containerd.sock" -n k8s.io "$@"; }

lc_kubelet_config() {
  local k=$LC_DIR/kubelet
  mkdir -p "$k"
  cat >"$k/config.yaml" <<EOT
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_GATEWAY
port: $(lc_free_port)
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $(lc_free_port)
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $LC_DIR/pki/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$LC_DIR/containerd/containerd.sock
cgroupDriver: cgroupfs
cgroupRoot: /$NODE_CGROUP
# cgroup v1 hierarchies on this VM (cgroup2 only at /sys/fs/cgroup/unified).
failCgroupV1: false
failSwapOn: false
clusterDNS: [$NODE_GATEWAY]
clusterDomain: cluster.local
# The host's resolvers never reach a pod: names resolve in the cluster or not at all.
resolvConf: ""
registerNode: true
serializeImagePulls: false
imageMinimumGCAge: 87600h
imageGCHighThresholdPercent: 100
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%}
syncFrequency: 10s
# Pod logs in the state directory, not /var/log/pods: down removes them with it.
podLogsDir: $LC_DIR/pod-logs
EOT
}

lc_wait_log() { # seconds description logname command...
  local limit=$1 what=$2 name=$3; shift 3
  lc_wait "$limit" "$what" "$@" || { tail -n 20 "$LC_DIR/logs/$name.log" >&2; return 1; }
}

# Before anything starts: root, the Debian packages, and no other node's leftovers.
lc_node_preflight() {
  lc_sudo_check && lc_node_packages || return 1
  local left
  left=$(lc_node_leftovers)
  if [ -n "$left" ]; then
    lc_log "refusing to start: another node left these on the host (npm run local:down removes what it recorded; remove the rest by hand):"
    echo "  ${left//$'\n'/$'\n'  }" >&2
    return 1
  fi
}

# Starts the node's processes after the control plane, each waited for by name.
lc_node_start() {
  local sock=$LC_DIR/containerd/containerd.sock
  bash "$LOCAL_CLUSTER_ROOT/scripts/node-images.sh" refs >"$LC_DIR/images" || return 1
  lc_guard_up || { lc_log "could not set the network guard"; return 1; }
  lc_containerd_config
  lc_spawn "$LC_DIR" containerd "$(command -v containerd)" --config "$LC_DIR/containerd/config.toml"
  lc_wait_log 60 "containerd" containerd lc_ctr version || return 1
  bash "$LOCAL_CLUSTER_ROOT/scripts/node-images.sh" import "$sock" || return 1

  mkdir -p "$LC_DIR/coredns"
  local dns_health
  dns_health=$(lc_free_port)
  cat >"$LC_DIR/coredns/Corefile" <<EOT
.:53 {
  bind $NODE_GATEWAY
  health 127.0.0.1:$dns_health
  errors
  cache 30
  kubernetes cluster.local in-addr.arpa ip6.arpa {
    kubeconfig $LC_DIR/kubeconfig local-e2e
    pods insecure
  }
}
EOT
  lc_spawn "$LC_DIR" coredns "$(command -v coredns)" -conf "$LC_DIR/coredns/Corefile"
  lc_wait_log 60 "CoreDNS" coredns curl -fsS "http://127.0.0.1:$dns_health/health" || return 1

  lc_kubelet_config
  lc_spawn "$LC_DIR" kubelet "$(command -v kubelet)" --config "$LC_DIR/kubelet/config.yaml" \
    --kubeconfig "$LC_DIR/kubeconfig" --hostname-override "$NODE_NAME" --node-ip "$NODE_GATEWAY" \
    --root-dir "$LC_DIR/kubelet/root" --cert-dir "$LC_DIR/kubelet/pki"
  lc_wait_log 120 "the kubelet's node Ready" kubelet lc_kubectl wait --for condition=Ready "node/$NODE_NAME" --timeout 5s || return 1

  lc_spawn "$LC_DIR" kube-proxy "$(command -v kube-proxy)" --kubeconfig "$LC_DIR/kubeconfig" \
    --hostname-override "$NODE_NAME" --proxy-mode iptables --cluster-cidr "$CLUSTER_CIDR" \
    --bind-address 127.0.0.1 --healthz-bind-address "127.0.0.1:$(lc_free_port)" \
    --metrics-bind-address "127.0.0.1:$(lc_free_port)" --nodeport-addresses "$NODE_GATEWAY/32" \
    --iptables-localhost-nodeports=false --conntrack-max-per-core 0 \
    --conntrack-tcp-timeout-established 0 --conntrack-tcp-timeout-close-wait 0
  lc_wait_log 60 "kube-proxy's service rules" kube-proxy iptables -t nat -n -L KUBE-SERVICES || return 1

  # kube-router does NetworkPolicy only. Never run its --cleanup-config: it crashes here and
  # would delete every IPVS service of the host; lc_guard_down removes its chains and sets.
  lc_spawn "$LC_DIR" kube-router "$(command -v kube-router)" --kubeconfig "$LC_DIR/kubeconfig" \
    --hostname-override "$NODE_NAME" --run-firewall=true --run-router=false --run-service-proxy=false \
    --run-loadbalancer=false --enable-cni=false --enable-ipv6=false --health-port 0 --metrics-port 0
  lc_wait_log 60 "kube-router's policy chains" kube-router iptables -n -L KUBE-ROUTER-FORWARD || return 1

  lc_node_volumes | lc_kubectl apply -f - >/dev/null || return 1
  lc_log "node $NODE_NAME up: pods on $NODE_BRIDGE ($POD_CIDR), DNS $NODE_GATEWAY, images $(awk '{print $2}' "$LC_DIR/images" | paste -s -d ' ')"
}

# The StorageClass (expandable) and NODE_VOLUMES local volumes, directories under DIR.
lc_node_volumes() {
  local v
  # One node: WaitForFirstConsumer would have nothing to choose, and it costs every pod at
  # least a second (the scheduler polls the claim's binding once a second before binding the
  # pod). Measured side by side: 3 pods Ready in 27.4-30.4 s against 33.6-33.9 s.
  lc_storage_class "$NODE_STORAGE_CLASS" true Immediate
  for v in $(seq 1 "$NODE_VOLUMES"); do
    mkdir -p "$LC_DIR/volumes/vol-$v"
    lc_local_volume "$NODE_NAME-vol-$v" "$NODE_NAME" "$NODE_STORAGE_CLASS" "$LC_DIR/volumes/vol-$v"
  done
}

# Stops the node: pods first through the kubelet (so the CNI releases their network), then
# the processes, then what is left of containers, mounts and the guard.
lc_node_stop() { # dir
  local dir=$1 name pid sock=$1/containerd/containerd.sock m
  [ -f "$dir/node-changes" ] || [ -e "$dir/pids/kubelet.pid" ] || return 0
  LC_DIR=$dir
  if lc_running "$dir" kubelet && lc_running "$dir" kube-apiserver; then
    lc_stop_named "$dir" kube-controller-manager kube-scheduler
    lc_kubectl delete pods --all --all-namespaces --grace-period 1 --wait=false >/dev/null 2>&1 || true
    # Stopped is enough: the kubelet removes containers later, and what is left goes below.
    lc_wait 60 "the kubelet to stop every pod" lc_no_running_task || true
  fi
  lc_stop_named "$dir" kube-router kube-proxy kubelet coredns
  if lc_running "$dir" containerd; then
    for name in $(lc_ctr tasks ls -q 2>/dev/null); do lc_ctr tasks kill -s SIGKILL "$name" >/dev/null 2>&1 || true; done
    sleep 1
    for name in $(lc_ctr tasks ls -q 2>/dev/null); do lc_ctr tasks rm -f "$name" >/dev/null 2>&1 || true; done
  fi
  lc_stop_named "$dir" containerd
  # Shims of this containerd (found by its socket in their command line) that outlived it.
  grep -lsF -- "$sock" /proc/[0-9]*/cmdline | cut -d/ -f3 | while read -r pid; do
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) != containerd-shim* ]] || kill -KILL "$pid" 2>/dev/null || true
  done || true
  lc_kill_cgroup_tree
  findmnt -rn -o TARGET | grep -F "$dir/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done || true
  if [ -f "$dir/netns-before" ]; then
    find /run/netns -maxdepth 1 -name 'cni-*' -printf '%f\n' 2>/dev/null | sort | comm -13 "$dir/netns-before" - \
      | while read -r m; do ip netns del "$m" 2>/dev/null || true; done || true
  fi
  lc_guard_down "$dir"
}

# Every process left in the kubelet's cgroupRoot is a container of this node (the cgroup
# exists only while the node does): end each by PID, until none is left.
lc_kill_cgroup_tree() {
  local tree=/sys/fs/cgroup/pids/$NODE_CGROUP pids
  [ -d "$tree" ] || return 0
  for _ in $(seq 1 20); do
    pids=$(find "$tree" -name cgroup.procs -exec cat {} + 2>/dev/null)
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086 # one PID per word
    kill -KILL $pids 2>/dev/null || true
    sleep 0.5
  done
  lc_log "processes still in $tree: $pids"
}

lc_no_running_task() { ! lc_ctr tasks ls 2>/dev/null | awk 'NR > 1 { print $3 }' | grep -qx RUNNING; }

lc_stop_named() { # dir name...
  local dir=$1 name pid; shift
  for name in "$@"; do
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
  lc_pulumi_vars "$dir"
}

# The same variables for DIR's existing backend and passphrase, creating nothing.
lc_pulumi_vars() { # dir
  local dir=$1
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

# The selected stack's config for a run on the node in DIR: its kubeconfig, the engine
# REPLICATED_MYSQL_ENGINE names (if set), that engine's images, the passwords. Another engine
# than the one the stack has deployed is refused first, with nothing changed: the program
# refuses it too (stack/volumes.ts), but only after `engine` was set, which then failed every
# later run until the config was mended by hand.
lc_stack_config() { # dir
  local dir=$1 engine deployed
  if [ -n "${REPLICATED_MYSQL_ENGINE:-}" ]; then
    deployed=$(pulumi stack output engine 2>/dev/null) || deployed=
    if [ -n "$deployed" ] && [ "$deployed" != "$REPLICATED_MYSQL_ENGINE" ]; then
      lc_log "refusing REPLICATED_MYSQL_ENGINE=$REPLICATED_MYSQL_ENGINE: the local stack runs $deployed, and $REPLICATED_MYSQL_ENGINE cannot start on its volumes' $deployed datadirs; its config is unchanged. To switch engines: 'npm run local:down' (it deletes the data), then 'REPLICATED_MYSQL_ENGINE=$REPLICATED_MYSQL_ENGINE npm run local:up'."
      return 1
    fi
  fi
  pulumi config set kubeconfig "$dir/kubeconfig"
  [ -z "${REPLICATED_MYSQL_ENGINE:-}" ] || pulumi config set engine "$REPLICATED_MYSQL_ENGINE"
  engine=$(pulumi config get engine)
  pulumi config set image "$(lc_image_ref "$engine")"
  if [ "$engine" = mariadb ]; then pulumi config set backupImage "$(lc_image_ref mariadb)"; else pulumi config rm backupImage >/dev/null 2>&1 || true; fi
  pulumi config set metricsImage "$(lc_image_ref mysqld-exporter)"
  lc_set_passwords
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

# For scripts run in a new pod: its NetworkPolicy controller admits a new pod's address a
# moment after the pod starts (kube-router: a second or two), as on any cluster; a client
# waits for HOST:PORT to open, up to 30 s, before it counts.
# shellcheck disable=SC2016 # expanded by the pod's shell
LC_POD_WAIT_OPEN='wait_open() {
  for _ in $(seq 1 30); do timeout 2 bash -c "</dev/tcp/$1/$2" 2>/dev/null && return 0; sleep 1; done
  echo "$1:$2 did not open within 30 s"; return 1
}'

# Runs SCRIPT with bash in a new pod NAME of namespace NS (IMAGE, uid 999; with a Secret
# name, its root-password as MYSQL_PWD), waits for it to end, prints its output, deletes it;
# true when the script exited 0. (Not `kubectl run -i`: a short pod may end before kubectl
# attaches, and its output is lost.)
lc_pod_run() { # ns name image script [secret]
  local overrides phase
  overrides=$(jq -cn --arg pod "$2" --arg image "$3" --arg script "$4" --arg secret "${5:-}" '{spec: {containers: [{
      name: $pod, image: $image, imagePullPolicy: "Never", command: ["bash", "-c", $script],
      env: (if $secret == "" then [] else
        [{name: "MYSQL_PWD", valueFrom: {secretKeyRef: {name: $secret, key: "root-password"}}}] end),
      securityContext: {runAsUser: 999, runAsGroup: 999, allowPrivilegeEscalation: false}}]}}')
  lc_kubectl run "$2" -n "$1" --image "$3" --restart Never --overrides "$overrides" >/dev/null || return 1
  lc_wait 180 "pod $2 to finish" lc_pod_ended "$1" "$2" || true
  lc_kubectl logs "$2" -n "$1" 2>&1
  phase=$(lc_kubectl get pod "$2" -n "$1" -o jsonpath='{.status.phase}' 2>/dev/null)
  lc_kubectl delete pod "$2" -n "$1" --wait=false >/dev/null 2>&1 || true
  [ "$phase" = Succeeded ]
}
lc_pod_ended() { lc_kubectl get pod "$2" -n "$1" -o jsonpath='{.status.phase}' 2>/dev/null | grep -Eqx 'Succeeded|Failed'; }

# The tutorial's check, from a client pod in namespace NS running IMAGE: on the primary, the
# tutorial's table and its 'hello' row (each made once: they stay, for the tutorial and the
# e2e's replica checks) and a row of this run's own; that row read back through the read
# Service, then deleted, so a repeated check proves a new write and leaves the table as it
# was; then SELECT @@server_id through the read Service 20 times. Prints what the client
# printed; fails unless this run's row came back and at least two server ids answered. The
# root password reaches the pod from the Secret, never from a command line.
lc_tutorial_check() { # namespace image [pod-name]
  local ns=$1 image=$2 pod=${3:-mysql-client} out script
  script=$LC_POD_WAIT_OPEN$'\n'$(cat <<'EOS'
set -e
wait_open mysql-0.mysql 3306 && wait_open mysql-read 3306
row="hello from $HOSTNAME at $(date +%s%N)"
mysql -h mysql-0.mysql -u root <<SQL
CREATE DATABASE IF NOT EXISTS test;
CREATE TABLE IF NOT EXISTS test.messages (message VARCHAR(250));
INSERT INTO test.messages (message) SELECT 'hello' FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM test.messages WHERE message = 'hello');
INSERT INTO test.messages (message) VALUES ('$row');
SQL
for i in $(seq 1 30); do
  if mysql -h mysql-read -u root -N -e "SELECT message FROM test.messages" | grep -qxF "$row"; then echo "read through mysql-read: $row"; break; fi
  sleep 1
done
mysql -h mysql-0.mysql -u root -e "DELETE FROM test.messages WHERE message = '$row'"
for i in $(seq 1 20); do mysql -h mysql-read -u root -N -e "SELECT @@server_id"; done | sort -n | uniq -c | while read -r n id; do echo "server_id $id ($n of 20 reads)"; done
EOS
)
  out=$(lc_pod_run "$ns" "$pod" "$image" "$script" mysql-credentials)
  echo "$out"
  grep -q '^read through mysql-read: hello from ' <<<"$out" && [ "$(grep -c '^server_id ' <<<"$out")" -ge 2 ]
}

lc_up() {
  local dir project engine started=false
  # Before anything is built or started: the engines the program and node-images.sh know.
  case ${REPLICATED_MYSQL_ENGINE:-} in
    "" | mysql | mariadb) ;;
    *) lc_log "REPLICATED_MYSQL_ENGINE is '$REPLICATED_MYSQL_ENGINE'; allowed: mysql or mariadb (or unset: the stack's engine). Nothing was started."; exit 1 ;;
  esac
  dir=$(lc_state_dir)
  lc_sudo_check || exit 1
  lc_log "1/5 building what is missing (toolchain: scripts/toolchain.sh; images: scripts/node-images.sh)"
  lc_toolchain
  # umoci (Debian's package) writes the images: the node's packages come first.
  lc_node_packages || exit 1
  bash "$LOCAL_CLUSTER_ROOT/scripts/node-images.sh" build >/dev/null
  if lc_running "$dir" kube-apiserver && lc_running "$dir" kubelet; then
    LC_DIR=$dir
    lc_log "2/5 node already running in $dir"
  else
    # A node that is not running (a reboot, a crash, a killed process) cannot be restarted in
    # place, and starting anew deletes its directory: never silently when volumes hold data.
    if [ -n "$(find "$dir/volumes" -mindepth 2 -print -quit 2>/dev/null)" ]; then
      lc_log "refusing to start: the node in $dir is not running (after a reboot or a crash?), and its volumes in $dir/volumes hold data ($(du -sh "$dir/volumes" 2>/dev/null | cut -f1)); starting anew would delete them. Copy out what you need, then run 'npm run local:down' (it deletes them) and 'npm run local:up'."
      exit 1
    fi
    # What a failed or interrupted earlier up of this directory recorded is ours to undo.
    lc_stop "$dir"
    rm -rf "$dir"
    lc_log "2/5 starting the control plane and node $NODE_NAME in $dir"
    # shellcheck disable=SC2064 # the directory now: the trap runs after lc_up's locals are gone
    trap "lc_log 'up failed: stopping what it started'; lc_stop $(printf %q "$dir")" EXIT
    lc_start "$dir" real
    started=true
  fi
  lc_pulumi_env "$dir"
  project=$(lc_project "$dir")
  cd "$project"
  # The stack's settings from the repository; the salt and secrets stay in this copy.
  [ -f Pulumi.local.yaml ] || cp "$LOCAL_CLUSTER_ROOT/Pulumi.local.yaml" Pulumi.local.yaml
  pulumi stack select --create local --non-interactive >/dev/null
  lc_stack_config "$dir"
  engine=$(pulumi config get engine)
  lc_log "3/5 pulumi up --policy-pack policy (stack local, engine $engine)"
  # The README's one command: the pack's defaults allow the node's class, local-node.
  pulumi up --yes --non-interactive --skip-preview --policy-pack "$LOCAL_CLUSTER_ROOT/policy"
  lc_log "bring-up: StatefulSet created -> last pod Ready in $(lc_bringup_seconds "$(pulumi config get namespace)" || echo '?') s (the bench's figure; target < 30 s)"
  lc_log "4/5 the tutorial's check: write on mysql-0.mysql, read through mysql-read, server ids"
  lc_tutorial_check "$(pulumi config get namespace)" "$(lc_image_ref "$engine")" || { lc_log "the tutorial's check failed"; exit 1; }
  $started && trap - EXIT
  lc_log "5/5 outputs"
  pulumi stack output
  cat <<EOT

Next, in this shell:
  source <(bash scripts/local-cluster.sh env) && cd $project
  kubectl get statefulset,pods,pvc -n mysql -o wide
  kubectl exec -it mysql-0 -n mysql -c mysql -- mysql -uroot -p     (password: pulumi stack output rootPassword --show-secrets)
  pulumi config set replicas 5 && pulumi up --policy-pack $LOCAL_CLUSTER_ROOT/policy
  npm run local:down       (from the repository: stops the node and undoes every host change)
EOT
  echo "KUBECONFIG=$dir/kubeconfig"
}

lc_down() {
  local dir
  dir=$(lc_state_dir)
  lc_sudo_check || exit 1
  if [ ! -e "$dir" ]; then
    lc_log "nothing to stop: no local cluster's state in $dir"
  else
    lc_stop "$dir"
    rm -rf "$dir"
    lc_log "stopped and removed $dir"
  fi
  local left
  left=$(lc_node_leftovers)
  [ -z "$left" ] || lc_log "still on the host (not recorded by this node): ${left//$'\n'/; }"
}

lc_status() {
  local dir name
  dir=$(lc_state_dir)
  for name in etcd kube-apiserver kube-controller-manager kube-scheduler kwok containerd coredns kubelet kube-proxy kube-router; do
    # kwok runs only under the kwok e2e, never beside the real node that `up` starts.
    [ "$name" != kwok ] || lc_running "$dir" kwok || continue
    if lc_running "$dir" "$name"; then echo "$name: running (PID $(cat "$dir/pids/$name.pid"))"; else echo "$name: stopped"; fi
  done
}

# Prints the variables a shell needs to run pulumi and kubectl against the `up` cluster, and
# only prints: nothing is built, installed or created (the tools and Node found as they are).
# Fails, naming what is missing, when `up` has left no cluster state to point at.
lc_env() {
  local dir f missing tools node_bin
  dir=$(lc_state_dir)
  for f in kubeconfig passphrase backend; do [ -e "$dir/$f" ] || missing=${missing:+$missing, }$f; done
  if [ -n "${missing:-}" ]; then
    lc_log "nothing to print: no local cluster's state in $dir (no $missing); start one with 'npm run local:up'"
    return 1
  fi
  node_bin=$(bash "$LOCAL_CLUSTER_ROOT/scripts/setup-node.sh" --check) || return 1
  tools=$(bash "$LOCAL_CLUSTER_ROOT/scripts/toolchain.sh" --check) || return 1
  export PATH="${tools:+$tools:}$node_bin:$PATH"
  lc_pulumi_vars "$dir"
  printf 'export PATH=%q\n' "$PATH"
  printf 'export KUBECONFIG=%q\n' "$dir/kubeconfig"
  for v in PULUMI_HOME PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION PULUMI_SKIP_UPDATE_CHECK; do
    printf 'export %s=%q\n' "$v" "${!v}"
  done
}

lc_usage() {
  cat <<EOT
usage: bash scripts/local-cluster.sh COMMAND     (npm run local:up / local:down run up / down)
  up        (root) build what is missing, start the control plane and one real node (unless
            already running), pulumi up the program on it (stack local, Pulumi.local.yaml;
            REPLICATED_MYSQL_ENGINE=mariadb for MariaDB), run the tutorial's check, print the
            outputs; the last line is KUBECONFIG=<path>
  down      (root) stop every process up started, undo every host change, delete the state
  packages  (root) install the node's Debian packages when missing (containerd, runc, CNI
            plugins, iptables, ipset, nftables, umoci); nothing else
  status    say which of the cluster's processes run
  env       print the variables for kubectl and pulumi on the up cluster; changes nothing:
            source <(bash scripts/local-cluster.sh env)
  help      print this text: each command and what it does
State: $(lc_state_dir) (REPLICATED_MYSQL_LOCAL_DIR moves it)
EOT
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  # No command takes an argument: one more is a mistake (down --dry-run must not tear down).
  if [ $# -gt 1 ]; then
    lc_log "unexpected argument(s) after '$1': ${*:2} (no command takes any); nothing was done"
    lc_usage >&2
    exit 2
  fi
  case "${1:-}" in
    up) lc_up ;;
    down) lc_down ;;
    packages) lc_sudo_check && lc_node_packages ;;
    status) lc_status ;;
    env) lc_env ;;
    help | -h | --help) lc_usage ;;
    "") lc_usage >&2; exit 2 ;;
    *) lc_log "unknown command '$1'"; lc_usage >&2; exit 2 ;;
  esac
fi
