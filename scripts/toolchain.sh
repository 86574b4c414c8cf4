#!/usr/bin/env bash
# Builds the programs the end-to-end test and the local cluster drive, from their published
# Go modules, into a cache outside the repository (one directory per tool and version), and
# prints a PATH prefix holding all of them:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kubelet, kube-proxy,
#   etcd, kwok          from scripts/toolchain/kubernetes (k8s.io/kubernetes, etcd, kwok pins)
#   pulumi              from scripts/toolchain/pulumi (github.com/pulumi/pulumi/pkg/v3)
#   pulumi-language-nodejs   the Node.js host from scripts/toolchain/pulumi-language-nodejs
#                       (sdk/v3 v3.68.0), behind our front (scripts/toolchain/pulumi/
#                       pulumi-language-nodejs) that adds the RunPlugin call policy packs need
#   pulumi-resource-kubernetes   from scripts/toolchain/pulumi-kubernetes
#   mysqld_exporter     from scripts/toolchain/mysqld-exporter (the version the component's
#                       metrics image pins; the data-plane scrape test and the node's image)
# Every wrapper module commits its go.sum and builds with -mod=readonly. kubectl, the
# control plane and pulumi already on PATH are used when they report the wanted version.
# A build that fails names the tool and the step, and the script exits 3.
#
# Usage: export PATH="$(bash scripts/toolchain.sh):$PATH"
#        bash scripts/toolchain.sh --check     say what is present; build nothing
#        bash scripts/toolchain.sh --only mysqld-exporter   build (if missing) and print
#                                              only the exporter's directory
# Env:   REPLICATED_MYSQL_CACHE (default ~/.cache/replicated-mysql); the tools go to
#        $REPLICATED_MYSQL_CACHE/toolchain/<tool>-<version>/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WRAPPERS="$ROOT/scripts/toolchain"
CACHE="${REPLICATED_MYSQL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/replicated-mysql}/toolchain"
CHECK_ONLY=false
ONLY=
case "${1:-}" in
  "") ;;
  --check) CHECK_ONLY=true ;;
  --only)
    [ "${2:-}" = mysqld-exporter ] || { echo "toolchain: --only takes mysqld-exporter (got '${2:-}')" >&2; exit 2; }
    ONLY=$2 ;;
  *) echo "toolchain: unknown argument '$1' (use --check, --only mysqld-exporter or nothing)" >&2; exit 2 ;;
esac

log() { echo "toolchain: $*" >&2; }
fail() { # tool step
  log "FAILED: $1: $2"
  exit 3
}

# Cold build times measured here (empty Go build and module caches, 2 cores shared with
# other builds; scripts/toolchain/README.md). A warm Go build cache makes each a link.
declare -A COLD=(
  [kubernetes]="~15-30 min"
  [pulumi]="~22 min"
  [pulumi-language-nodejs]="~1-3 min"
  [pulumi-resource-kubernetes]="~22 min"
  [coredns]="~10 min"
  [kube-router]="~8 min"
  [pause]="seconds"
  [mysqld-exporter]="~1 min"
)

# Version a wrapper module requires of a Go module, e.g. "v1.36.3".
required_version() { # go.mod module
  awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1"
}

# Concurrent runs build each tool once: CI starts one in the background while other suites
# run, and a later run waits for its build of the same tool (one lock file per tool in the
# cache), then finds the tool cached. --check never waits, and creates nothing.
$CHECK_ONLY || mkdir -p "$CACHE"
lock() { # tool
  $CHECK_ONLY && return 0
  exec {LOCK_FD}>"$CACHE/.$1.lock"
  if ! flock -n "$LOCK_FD"; then
    log "waiting for another run's build of $1"
    flock "$LOCK_FD"
  fi
}
unlock() {
  $CHECK_ONLY && return 0
  flock -u "$LOCK_FD" && exec {LOCK_FD}>&-
}

# Small binaries and shorter links: no DWARF, no symbol table, no build paths.
BUILD_FLAGS=(-mod=readonly -trimpath -buildvcs=false)
LD_STRIP="-s -w"

path_dirs=()
missing=()

# Uses a binary from PATH when `$probe` prints the wanted version; else the cache dir.
# Prints the directory, or nothing when neither has it.
find_tool() { # name version-regex cache-dir probe-args...
  local name=$1 want=$2 dir=$3; shift 3
  local onpath
  if onpath=$(command -v "$name" 2>/dev/null) && [[ "$onpath" != "$dir/"* ]] \
    && "$onpath" "$@" 2>&1 | grep -Eq "$want"; then
    dirname "$onpath"
  elif [ -x "$dir/$name" ]; then
    echo "$dir"
  fi
}

# Announces a build with its expected cold time; the go command must exist.
building() { # key what dir
  log "building $2 into $3 (cold: ${COLD[$1]}; warm Go cache: about a minute)"
  command -v go >/dev/null || fail "$1" "no go command on PATH (Go >= 1.26 is needed to build the toolchain)"
  build_start=$SECONDS
}

# Moves a finished build into place, so an interrupted one never looks complete.
publish() { # tmp-dir dir
  rm -rf "$2" && mv "$1" "$2"
  log "built $(basename "$2") in $((SECONDS - build_start)) s"
}

# --- mysqld_exporter ------------------------------------------------------------------------
# The version of the component's metrics image (components/mysql/monitoring.ts), built from
# the same module; `--version` reports it, as the image's binary does.
exp_mod="$WRAPPERS/mysqld-exporter/go.mod"
EXPORTER_VERSION=$(required_version "$exp_mod" github.com/prometheus/mysqld_exporter)
# Static (no cgo), as the image's own binary is: the node's image holds that one file.
exp_dir="$CACHE/mysqld-exporter-$EXPORTER_VERSION-static"
lock mysqld-exporter
if [ ! -x "$exp_dir/mysqld_exporter" ] && ! $CHECK_ONLY; then
  building mysqld-exporter "mysqld_exporter $EXPORTER_VERSION" "$exp_dir"
  rm -rf "$exp_dir.tmp"
  (cd "$WRAPPERS/mysqld-exporter" && CGO_ENABLED=0 go build "${BUILD_FLAGS[@]}" \
    -ldflags "$LD_STRIP -X github.com/prometheus/common/version.Version=${EXPORTER_VERSION#v}" \
    -o "$exp_dir.tmp/" github.com/prometheus/mysqld_exporter) >&2 \
    || fail mysqld-exporter "go build of github.com/prometheus/mysqld_exporter in scripts/toolchain/mysqld-exporter"
  publish "$exp_dir.tmp" "$exp_dir"
fi
unlock
if [ -x "$exp_dir/mysqld_exporter" ]; then
  path_dirs+=("$exp_dir")
else
  missing+=(mysqld_exporter)
fi
if [ "$ONLY" = mysqld-exporter ]; then
  [ -x "$exp_dir/mysqld_exporter" ] || exit 3
  echo "$exp_dir"
  exit 0
fi

# --- Kubernetes control plane, node, etcd, kwok, kubectl ----------------------------------------
k8s_mod="$WRAPPERS/kubernetes/go.mod"
K8S_VERSION=$(required_version "$k8s_mod" k8s.io/kubernetes)
ETCD_VERSION=$(required_version "$k8s_mod" go.etcd.io/etcd/server/v3)
KWOK_VERSION=$(required_version "$k8s_mod" sigs.k8s.io/kwok)
k8s_dir="$CACHE/kubernetes-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION"
minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
k8s_ld="$LD_STRIP"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ld="$k8s_ld -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
declare -A k8s_pkgs=(
  [kube-apiserver]=k8s.io/kubernetes/cmd/kube-apiserver
  [kube-controller-manager]=k8s.io/kubernetes/cmd/kube-controller-manager
  [kube-scheduler]=k8s.io/kubernetes/cmd/kube-scheduler
  [kubectl]=k8s.io/kubernetes/cmd/kubectl
  [kubelet]=k8s.io/kubernetes/cmd/kubelet
  [kube-proxy]=k8s.io/kubernetes/cmd/kube-proxy
  [etcd]=go.etcd.io/etcd/server/v3
  [kwok]=sigs.k8s.io/kwok/cmd/kwok
)
k8s_todo=()
lock kubernetes
for tool in kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy etcd kwok; do
  case $tool in
    kubectl) d=$(find_tool kubectl "GitVersion:\"$K8S_VERSION\"|gitVersion\": \"$K8S_VERSION\"" "$k8s_dir" version --client -o json) ;;
    etcd) d=$(find_tool etcd "etcd Version: ${ETCD_VERSION#v}\$" "$k8s_dir" --version) ;;
    kwok) d=$(find_tool kwok "$KWOK_VERSION" "$k8s_dir" --version) ;;
    *) d=$(find_tool "$tool" "Kubernetes $K8S_VERSION\$" "$k8s_dir" --version) ;;
  esac
  if [ -n "$d" ]; then path_dirs+=("$d"); else k8s_todo+=("$tool"); fi
done
if [ ${#k8s_todo[@]} -gt 0 ] && ! $CHECK_ONLY; then
  building kubernetes "${k8s_todo[*]} (Kubernetes $K8S_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION)" "$k8s_dir"
  pkgs=()
  for tool in "${k8s_todo[@]}"; do pkgs+=("${k8s_pkgs[$tool]}"); done
  rm -rf "$k8s_dir.tmp" && mkdir -p "$k8s_dir.tmp"
  if [ -d "$k8s_dir" ]; then cp -a "$k8s_dir"/. "$k8s_dir.tmp"/; fi
  (cd "$WRAPPERS/kubernetes" && go build "${BUILD_FLAGS[@]}" -ldflags "$k8s_ld" -o "$k8s_dir.tmp/" "${pkgs[@]}") >&2 \
    || fail "kubernetes" "go build of ${k8s_todo[*]} in scripts/toolchain/kubernetes"
  # etcd's main package is the module root (go.etcd.io/etcd/server/v3), so go names the
  # binary "server".
  if [ -e "$k8s_dir.tmp/server" ]; then mv "$k8s_dir.tmp/server" "$k8s_dir.tmp/etcd"; fi
  publish "$k8s_dir.tmp" "$k8s_dir"
  path_dirs+=("$k8s_dir")
elif [ ${#k8s_todo[@]} -gt 0 ]; then
  missing+=("${k8s_todo[@]}")
fi
unlock

# --- The real node's companions: CoreDNS, kube-router, pause ----------------------------------
# One static program each from its wrapper module (CGO off: the pause program is an image by
# itself). kube-router stands in for sigs.k8s.io/kube-network-policies, which needs the
# kernel's nftables queue (CONFIG_NFT_QUEUE), absent here (README "A real node").
node_tool() { # name module-for-version package wrapper
  local name=$1 module=$2 pkg=$3 wrapper=$WRAPPERS/$4 version dir sum
  if [ -n "$module" ]; then
    version=$(required_version "$wrapper/go.mod" "$module")
  else
    # Our own program: its source is its version.
    sum=$(cat "$wrapper"/*.go "$wrapper/go.mod" | sha256sum | cut -c1-12)
    version=src-$sum
  fi
  dir="$CACHE/$name-$version"
  lock "$name"
  if [ -x "$dir/$name" ]; then
    path_dirs+=("$dir")
  elif $CHECK_ONLY; then
    missing+=("$name")
  else
    building "$name" "$name $version" "$dir"
    rm -rf "$dir.tmp"
    (cd "$wrapper" && CGO_ENABLED=0 go build "${BUILD_FLAGS[@]}" -ldflags "$LD_STRIP" -o "$dir.tmp/$name" "$pkg") >&2 \
      || fail "$name" "go build of $pkg in scripts/toolchain/$4"
    publish "$dir.tmp" "$dir"
    path_dirs+=("$dir")
  fi
  unlock
}
node_tool coredns github.com/coredns/coredns . coredns
node_tool kube-router github.com/cloudnativelabs/kube-router/v2 github.com/cloudnativelabs/kube-router/v2/cmd/kube-router kube-router
node_tool pause "" . pause

# --- Pulumi CLI -----------------------------------------------------------------------------
pulumi_mod="$WRAPPERS/pulumi/go.mod"
PULUMI_VERSION=$(required_version "$pulumi_mod" github.com/pulumi/pulumi/pkg/v3)
pulumi_dir="$CACHE/pulumi-$PULUMI_VERSION"
lock pulumi
d=$(find_tool pulumi "^$PULUMI_VERSION\$" "$pulumi_dir" version)
if [ -n "$d" ]; then
  path_dirs+=("$d")
elif ! $CHECK_ONLY; then
  building pulumi "pulumi $PULUMI_VERSION" "$pulumi_dir"
  rm -rf "$pulumi_dir.tmp"
  (cd "$WRAPPERS/pulumi" && go build "${BUILD_FLAGS[@]}" \
    -ldflags "$LD_STRIP -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    -o "$pulumi_dir.tmp/" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) >&2 \
    || fail pulumi "go build of github.com/pulumi/pulumi/pkg/v3/cmd/pulumi in scripts/toolchain/pulumi"
  publish "$pulumi_dir.tmp" "$pulumi_dir"
  path_dirs+=("$pulumi_dir")
else
  missing+=(pulumi)
fi
unlock

# --- Node.js language host, behind the RunPlugin front ----------------------------------------
# The directory holds host/pulumi-language-nodejs (v3.68.0) and the front as
# pulumi-language-nodejs, which starts the host from host/. The front is rebuilt when its
# source or its module's go.sum changes (a link: its packages are the CLI's).
host_mod="$WRAPPERS/pulumi-language-nodejs/go.mod"
HOST_VERSION=$(required_version "$host_mod" github.com/pulumi/pulumi/sdk/v3)
host_dir="$CACHE/pulumi-language-nodejs-$HOST_VERSION"
front_src="$WRAPPERS/pulumi/pulumi-language-nodejs"
front_sum=$(cat "$front_src/main.go" "$WRAPPERS/pulumi/go.sum" | sha256sum | cut -c1-16)
lock pulumi-language-nodejs
if [ ! -x "$host_dir/host/pulumi-language-nodejs" ]; then
  if $CHECK_ONLY; then
    missing+=(pulumi-language-nodejs)
  else
    building pulumi-language-nodejs "the Node.js language host $HOST_VERSION" "$host_dir/host"
    rm -rf "$host_dir.tmp"
    (cd "$WRAPPERS/pulumi-language-nodejs" && go build "${BUILD_FLAGS[@]}" \
      -ldflags "$LD_STRIP -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$HOST_VERSION" \
      -o "$host_dir.tmp/host/" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs) >&2 \
      || fail pulumi-language-nodejs "go build of sdk/v3/nodejs/cmd/pulumi-language-nodejs in scripts/toolchain/pulumi-language-nodejs"
    publish "$host_dir.tmp" "$host_dir"
  fi
fi
if [ -x "$host_dir/host/pulumi-language-nodejs" ]; then
  if [ "$(cat "$host_dir/.front-source" 2>/dev/null)" != "$front_sum" ] || [ ! -x "$host_dir/pulumi-language-nodejs" ]; then
    if $CHECK_ONLY; then
      missing+=("pulumi-language-nodejs (front)")
    else
      log "building the RunPlugin front of pulumi-language-nodejs into $host_dir (with the CLI's packages cached: seconds)"
      (cd "$WRAPPERS/pulumi" && go build "${BUILD_FLAGS[@]}" -ldflags "$LD_STRIP" \
        -o "$host_dir/pulumi-language-nodejs.tmp" ./pulumi-language-nodejs) >&2 \
        || fail "pulumi-language-nodejs (front)" "go build of scripts/toolchain/pulumi/pulumi-language-nodejs"
      mv "$host_dir/pulumi-language-nodejs.tmp" "$host_dir/pulumi-language-nodejs"
      echo "$front_sum" >"$host_dir/.front-source"
    fi
  fi
  [ -x "$host_dir/pulumi-language-nodejs" ] && path_dirs+=("$host_dir")
fi
unlock

# --- Kubernetes provider ---------------------------------------------------------------------
# Its cmd embeds schema-embed.json and terraform-mapping-embed.json, which the provider's own
# generate step (cmd/pulumi-resource-kubernetes/generate.go) writes from the schema.json and
# terraform-mapping.json its module carries. A module in the module cache is read-only, so
# the build copies the module (verified against go.sum on download) into a build directory,
# runs that generate step there, and builds with the wrapper's go.mod plus a replace that
# points the provider at the copy.
prov_mod="$WRAPPERS/pulumi-kubernetes/go.mod"
PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
PROVIDER_MODULE_VERSION=$(required_version "$prov_mod" "$PROVIDER_MODULE")
# What the provider reports: the version its repository's Makefile would stamp on this
# commit, between the v4.23.0 tag and v4.24.0.
PROVIDER_VERSION=4.24.0-dev
prov_dir="$CACHE/pulumi-resource-kubernetes-$PROVIDER_MODULE_VERSION"
lock pulumi-resource-kubernetes
if [ -x "$prov_dir/pulumi-resource-kubernetes" ]; then
  path_dirs+=("$prov_dir")
elif $CHECK_ONLY; then
  missing+=(pulumi-resource-kubernetes)
else
  building pulumi-resource-kubernetes "pulumi-resource-kubernetes $PROVIDER_VERSION ($PROVIDER_MODULE@$PROVIDER_MODULE_VERSION)" "$prov_dir"
  build="$CACHE/build/pulumi-resource-kubernetes-$PROVIDER_MODULE_VERSION"
  cmd_dir="$build/provider/cmd/pulumi-resource-kubernetes"
  rm -rf "$build" && mkdir -p "$build"
  src=$(cd "$WRAPPERS/pulumi-kubernetes" && go mod download -json "$PROVIDER_MODULE@$PROVIDER_MODULE_VERSION" | jq -r .Dir) \
    || fail pulumi-resource-kubernetes "go mod download of $PROVIDER_MODULE@$PROVIDER_MODULE_VERSION"
  copy_module() {
    cp -r "$src" "$build/provider" && chmod -R u+w "$build/provider" \
      && cp "$WRAPPERS/pulumi-kubernetes/go.mod" "$WRAPPERS/pulumi-kubernetes/go.sum" "$build/" \
      && (cd "$build" && go mod edit -replace "$PROVIDER_MODULE=./provider")
  }
  copy_module || fail pulumi-resource-kubernetes "copying the module into $build"
  # generate.go is a `//go:build ignore` program of the provider's cmd package: built by
  # name from the build module, run in the cmd directory (it reads and writes ./*.json).
  generate() {
    cp "$cmd_dir/generate.go" "$build/generate.go" \
      && (cd "$build" && go build "${BUILD_FLAGS[@]}" -o "$build/generate" ./generate.go) >&2 \
      && (cd "$cmd_dir" && VERSION=$PROVIDER_VERSION "$build/generate") >&2
  }
  generate || fail pulumi-resource-kubernetes "the generate step writing schema-embed.json and terraform-mapping-embed.json"
  rm -rf "$prov_dir.tmp"
  (cd "$build" && go build "${BUILD_FLAGS[@]}" \
    -ldflags "$LD_STRIP -X $PROVIDER_MODULE/pkg/version.Version=$PROVIDER_VERSION" \
    -o "$prov_dir.tmp/" "$PROVIDER_MODULE/cmd/pulumi-resource-kubernetes") >&2 \
    || fail pulumi-resource-kubernetes "go build of $PROVIDER_MODULE/cmd/pulumi-resource-kubernetes in $build"
  publish "$prov_dir.tmp" "$prov_dir"
  rm -rf "$build" && rmdir --ignore-fail-on-non-empty "$CACHE/build"
  path_dirs+=("$prov_dir")
fi
unlock

if [ ${#missing[@]} -gt 0 ]; then
  log "missing: ${missing[*]}"
  $CHECK_ONLY || exit 3
fi
printf '%s\n' "${path_dirs[@]}" | awk '!seen[$0]++' | paste -s -d :
