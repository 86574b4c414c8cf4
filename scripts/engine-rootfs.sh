#!/usr/bin/env bash
# Builds (or finds in the cache) the root filesystem of a database engine's container image
# from Debian packages, and prints its path on stdout (progress goes to stderr).
#
#   bash scripts/engine-rootfs.sh mysql            # build if missing, print the path
#   bash scripts/engine-rootfs.sh mysql --key      # print the cache key only (builds nothing)
#   bash scripts/engine-rootfs.sh mysql --cached   # print the newest built tree, offline
#
# The data-plane suite runs every container of a MySQL pod inside this tree (chroot), so it
# proves which tools the image needs; the same tree is meant to become the engine's container
# image (issue 12). What it holds, as the official `mysql` image does: the server, the client,
# bash and coreutils, a `mysql` user and group at uid/gid 999, an empty /var/lib/mysql.
#
# Cache: ${XDG_CACHE_HOME:-~/.cache}/replicated-mysql/rootfs/<engine>-<key>, where the key is a
# digest of the exact version of every package the install resolves to (found with apt
# against a private copy of the suite's index, without building), so a tree is rebuilt only
# when a package version changes. Older trees of the same engine are removed after a build.
#
# Nothing is installed on the host: the suite's packages go into the tree only (Debian
# unstable would upgrade the host's libc). Needs root and mmdebstrap.
set -euo pipefail

# ---- engines: suite, mirror, packages -------------------------------------------------------
# MariaDB 10.11 comes from the host's own suite (bookworm), with the backup tools and socat
# its clone-server sidecar uses (the local node's image, issue 12).
declare -A SUITE=([mysql]=unstable [mariadb]=bookworm)
declare -A PACKAGES=([mysql]="mysql-server mysql-client" [mariadb]="mariadb-server mariadb-backup mariadb-client socat")
readonly MIRROR=http://deb.debian.org/debian
readonly MYSQL_ID=999
# Debian unstable's Release file may be past its Valid-Until when a mirror lags; the build
# accepts that explicitly rather than failing.
readonly APT_VALID_UNTIL='Acquire::Check-Valid-Until "false"'

CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/replicated-mysql/rootfs

log() { printf 'engine-rootfs: %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

usage() { die "usage: engine-rootfs.sh <engine> [--key|--cached]; engines: ${!SUITE[*]}"; }

(($# >= 1 && $# <= 2)) || usage
engine=$1
mode=${2:-build}
[[ -n ${SUITE[$engine]:-} ]] || die "unknown engine '$engine': expected one of ${!SUITE[*]}"
[[ $mode == build || $mode == --key || $mode == --cached ]] || usage
if [[ $mode == --cached ]]; then
  # Tests use what the set-up built, without asking the mirror (one tree per engine is kept).
  for tree in "$CACHE_ROOT/$engine"-*; do
    if [[ -f $tree/.complete ]]; then
      printf '%s\n' "$tree"
      exit 0
    fi
  done
  die "no $engine root filesystem in $CACHE_ROOT: build it with: sudo bash scripts/setup-dataplane.sh"
fi
[[ $(id -u) -eq 0 ]] || die "run as root (mmdebstrap and chroot need it)"
command -v mmdebstrap >/dev/null || die "mmdebstrap is missing: bash scripts/setup-dataplane.sh installs it"

suite=${SUITE[$engine]}
read -r -a packages <<<"${PACKAGES[$engine]}"

# apt with a private index of the suite (kept in the cache, so a later check downloads only
# what changed): it resolves what an install would pull in, and installs nothing.
apt_private() {
  local state=$CACHE_ROOT/apt-$suite
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
  : >"$state/status"
  printf 'deb %s %s main\n' "$MIRROR" "$suite" >"$state/sources.list"
  apt-get -q -o Dir::Etc::Parts=/dev/null -o APT::Sandbox::User=root \
    -o Dir::Etc::SourceList="$state/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null \
    -o Dir::State::Lists="$state/lists" -o Dir::State::status="$state/status" \
    -o Dir::Cache="$state/cache" -o Acquire::Languages=none \
    -o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false "$@"
}

# The key: a digest of "package version" for every package the install resolves to.
resolved_versions() {
  apt_private update >&2 || die "apt could not read the $suite index from $MIRROR"
  apt_private -s install "${packages[@]}" 2>/dev/null |
    sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1 \2/p' | sort
}

versions=$(resolved_versions)
[[ -n $versions ]] || die "apt resolved no packages for ${packages[*]} in $suite"
for p in "${packages[@]}"; do
  grep -q "^$p " <<<"$versions" || die "$p is not installable from $suite"
done
pinned=()
for p in "${packages[@]}"; do pinned+=("$p=$(sed -n "s/^$p //p" <<<"$versions")"); done
# The package's postinst creates the mysql user and group; adduser gives a system user the
# highest free id, 999 in a fresh tree, as in the official image (and the pod's runAsUser):
# checked below. The customize hook empties the datadir that the postinst initialised: an
# image carries no database, the data volume holds it.
# shellcheck disable=SC2016 # $1 is the hook's own argument, expanded by mmdebstrap's shell
# (bookworm's MariaDB package makes no /var/log/mysql.)
declare -A EMPTIED=([mysql]='"$1/var/lib/mysql" "$1/var/log/mysql"' [mariadb]='"$1/var/lib/mysql"')
recipe=(--variant=minbase --aptopt="$APT_VALID_UNTIL" --include="$(IFS=,; echo "${pinned[*]}")"
  --customize-hook="find ${EMPTIED[$engine]} -mindepth 1 -delete" "$suite")
# bookworm's adduser gives a new system user the lowest free id (100): the mysql user and
# group are made at 999 before the packages install, and the postinst keeps them.
if [[ $engine == mariadb ]]; then
  # shellcheck disable=SC2016 # $1 is the hook's own argument
  recipe=(--essential-hook='echo "mysql:x:999:999:MySQL Server:/nonexistent:/bin/false" >>"$1/etc/passwd"; echo "mysql:x:999:" >>"$1/etc/group"' "${recipe[@]}")
fi
# The key: every resolved version and the recipe, so either changing rebuilds the tree.
key=$(printf '%s\n' "$versions" "${recipe[@]}" | sha256sum | cut -c1-16)
if [[ $mode == --key ]]; then
  printf '%s\n' "$key"
  exit 0
fi

target=$CACHE_ROOT/$engine-$key
if [[ -f $target/.complete ]]; then
  log "$engine: cached $target ($(grep "^${packages[0]} " <<<"$versions"))"
  printf '%s\n' "$target"
  exit 0
fi

mkdir -p "$CACHE_ROOT"
staging=$(mktemp -d "$CACHE_ROOT/.$engine-$key.XXXXXX")
trap 'rm -rf "$staging"' EXIT
log "$engine: building from $suite ($(tr '\n' ' ' <<<"$versions" | cut -c1-200)...)"
start=$SECONDS
mmdebstrap --quiet "${recipe[@]}" "$staging/tree" "$MIRROR" >&2 || die "mmdebstrap failed"

ids=$(chroot "$staging/tree" id mysql)
[[ $ids == "uid=$MYSQL_ID(mysql) gid=$MYSQL_ID(mysql)"* ]] || die "the tree's mysql user is '$ids', not $MYSQL_ID"
# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
chroot "$staging/tree" dpkg-query -W -f='${Package} ${Version}\n' | sort >"$staging/tree/.packages"
for p in "${packages[@]}"; do
  grep -qx "$(grep "^$p " <<<"$versions")" "$staging/tree/.packages" ||
    die "$p in the tree is not the resolved version: the mirror changed during the build; run again"
done

: >"$staging/tree/.complete"
rm -rf "$target"
mv "$staging/tree" "$target"
for old in "$CACHE_ROOT/$engine"-*; do
  [[ $old == "$target" || ! -d $old ]] || rm -rf "$old"
done
log "$engine: built $target in $((SECONDS - start)) s ($(du -sh "$target" | cut -f1))"
printf '%s\n' "$target"
