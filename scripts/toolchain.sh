#!/usr/bin/env bash
# Builds the programs the end-to-end test drives, from their published Go modules, into a
# cache outside the repository (one directory per tool and version), and prints a PATH
# prefix holding all of them:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd, kwok
#       from scripts/toolchain/kubernetes/go.mod (k8s.io/kubernetes, etcd, kwok pins)
#   pulumi                      from scripts/toolchain/pulumi/go.mod (github.com/pulumi/pulumi/pkg/v3)
#   pulumi-language-nodejs      (runs the program and the policy pack)
#   pulumi-resource-kubernetes, pulumi-resource-random   (the providers package-lock.json pins)
# A tool already on PATH is used when it reports the wanted version (a plugin on PATH is
# used whatever its version, and named when that differs). Nothing is
# downloaded at run time: the test runs Pulumi with plugin acquisition disabled.
#
# Usage: export PATH="$(bash scripts/toolchain.sh):$PATH"
#        bash scripts/toolchain.sh --check     say what is present; build nothing
# Env:   REPLICATED_MYSQL_CACHE (default ~/.cache/replicated-mysql); the tools go to
#        $REPLICATED_MYSQL_CACHE/toolchain/<tool>-<version>/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WRAPPERS="$ROOT/scripts/toolchain"
CACHE="${REPLICATED_MYSQL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/replicated-mysql}/toolchain"
CHECK_ONLY=false
[ "${1:-}" = "--check" ] && CHECK_ONLY=true

log() { echo "toolchain: $*" >&2; }

# Version a wrapper module requires of a Go module, e.g. "v1.36.3".
required_version() { # go.mod module
  awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1"
}

# Version package-lock.json pins for an npm package, e.g. "4.34.2".
locked_version() {
  node -e 'const l = require(process.argv[1]); console.log(l.packages["node_modules/" + process.argv[2]].version)' \
    "$ROOT/package-lock.json" "$1"
}

# Small binaries and shorter links: no DWARF, no symbol table, no build paths.
BUILD_FLAGS=(-trimpath -buildvcs=false)
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

pulumi_mod="$WRAPPERS/pulumi/go.mod"
PULUMI_VERSION=$(required_version "$pulumi_mod" github.com/pulumi/pulumi/pkg/v3)

# --- Language host and providers -----------------------------------------------------------
# Each is published as a Go module whose go.mod has replace directives, so each needs a
# wrapper module; `go install mod@version` refuses such modules. None of the versions below
# is served by the module proxy these machines reach (it answers 403 "This module version is
# not available"), so they are taken from PATH or the cache when someone put them there,
# and otherwise reported missing with the proxy's answer.
plugin() { # binary version module-path
  local name=$1 version=$2 module=$3
  local dir="$CACHE/$name-$version" found
  if [ -x "$dir/$name" ]; then
    path_dirs+=("$dir")
    return
  fi
  if found=$(command -v "$name" 2>/dev/null); then
    # Plugins print their version for -version; the engine uses one on PATH whatever it
    # says, so a different version is used but named.
    local has
    has=$(timeout 5 "$found" -version 2>/dev/null | head -n 1 || true)
    [ "v${has#v}" = "$version" ] || log "note: using $found (version '${has:-unknown}'), package-lock.json pins $version"
    path_dirs+=("$(dirname "$found")")
    return
  fi
  if ! $CHECK_ONLY; then
    local answer
    answer=$(cd "$WRAPPERS/pulumi" && GOFLAGS=-mod=mod go list -m -json "$module@$version" 2>&1 | tail -n 2 | tr -s '\n\t' '  ') || true
    log "$name $version: not on PATH nor in $dir, and the module proxy has no $module@$version: $answer"
  fi
  missing+=("$name")
}
plugin pulumi-language-nodejs "$PULUMI_VERSION" github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
plugin pulumi-resource-kubernetes "v$(locked_version @pulumi/kubernetes)" github.com/pulumi/pulumi-kubernetes/provider/v4
plugin pulumi-resource-random "v$(locked_version @pulumi/random)" github.com/pulumi/pulumi-random/provider/v4

# Checked before the long builds, so a machine without them fails in seconds.
if [ ${#missing[@]} -gt 0 ] && ! $CHECK_ONLY; then
  log "missing: ${missing[*]}"
  exit 3
fi

# --- Kubernetes control plane, etcd, kwok, kubectl ------------------------------------
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
k8s_todo=()
declare -A k8s_pkgs=(
  [kube-apiserver]=k8s.io/kubernetes/cmd/kube-apiserver
  [kube-controller-manager]=k8s.io/kubernetes/cmd/kube-controller-manager
  [kube-scheduler]=k8s.io/kubernetes/cmd/kube-scheduler
  [kubectl]=k8s.io/kubernetes/cmd/kubectl
  [etcd]=go.etcd.io/etcd/server/v3
  [kwok]=sigs.k8s.io/kwok/cmd/kwok
)
for tool in kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok; do
  case $tool in
    kubectl) d=$(find_tool kubectl "GitVersion:\"$K8S_VERSION\"|gitVersion\": \"$K8S_VERSION\"" "$k8s_dir" version --client -o json) ;;
    etcd) d=$(find_tool etcd "etcd Version: ${ETCD_VERSION#v}\$" "$k8s_dir" --version) ;;
    kwok) d=$(find_tool kwok "$KWOK_VERSION" "$k8s_dir" --version) ;;
    *) d=$(find_tool "$tool" "Kubernetes $K8S_VERSION\$" "$k8s_dir" --version) ;;
  esac
  if [ -n "$d" ]; then path_dirs+=("$d"); else k8s_todo+=("$tool"); fi
done
if [ ${#k8s_todo[@]} -gt 0 ] && ! $CHECK_ONLY; then
  log "building ${k8s_todo[*]} (Kubernetes $K8S_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION) into $k8s_dir"
  pkgs=()
  for tool in "${k8s_todo[@]}"; do pkgs+=("${k8s_pkgs[$tool]}"); done
  mkdir -p "$k8s_dir.tmp"
  (cd "$WRAPPERS/kubernetes" && go build -mod=readonly "${BUILD_FLAGS[@]}" -ldflags "$k8s_ld" -o "$k8s_dir.tmp/" "${pkgs[@]}") >&2
  # etcd's main package is the module root, so go names the binary after its last element.
  [ -e "$k8s_dir.tmp/server" ] && mv "$k8s_dir.tmp/server" "$k8s_dir.tmp/etcd"
  mkdir -p "$k8s_dir" && mv "$k8s_dir.tmp"/* "$k8s_dir/" && rmdir "$k8s_dir.tmp"
  path_dirs+=("$k8s_dir")
elif [ ${#k8s_todo[@]} -gt 0 ]; then
  missing+=("${k8s_todo[@]}")
fi

# --- Pulumi CLI ---------------------------------------------------------------------------
SDK_VERSION="v$(locked_version @pulumi/pulumi)"
if [ "$PULUMI_VERSION" != "$SDK_VERSION" ]; then
  log "note: pulumi CLI $PULUMI_VERSION with @pulumi/pulumi $SDK_VERSION (the Go module proxy serves no pkg/v3 source for $SDK_VERSION; see scripts/toolchain/README.md)"
fi
pulumi_dir="$CACHE/pulumi-$PULUMI_VERSION"
d=$(find_tool pulumi "^$PULUMI_VERSION\$" "$pulumi_dir" version)
if [ -n "$d" ]; then
  path_dirs+=("$d")
elif ! $CHECK_ONLY; then
  log "building pulumi $PULUMI_VERSION into $pulumi_dir"
  mkdir -p "$pulumi_dir"
  (cd "$WRAPPERS/pulumi" && go build -mod=readonly "${BUILD_FLAGS[@]}" \
    -ldflags "$LD_STRIP -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    -o "$pulumi_dir/" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) >&2
  path_dirs+=("$pulumi_dir")
else
  missing+=(pulumi)
fi

if [ ${#missing[@]} -gt 0 ]; then
  log "missing: ${missing[*]}"
  $CHECK_ONLY || exit 3
fi
printf '%s\n' "${path_dirs[@]}" | awk '!seen[$0]++' | paste -s -d :
