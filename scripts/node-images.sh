#!/usr/bin/env bash
# Container images for the local node (scripts/local-cluster.sh), built here from Debian
# packages and our own programs with umoci, never pulled from a registry:
#
#   localhost/replicated-mysql/pause:src-<digest>     the sandbox program (scripts/toolchain/pause)
#   localhost/replicated-mysql/mysql:<ver>-debian     MySQL from Debian unstable (engine-rootfs.sh mysql)
#   localhost/replicated-mysql/mariadb:<ver>-debian   MariaDB from bookworm (engine-rootfs.sh mariadb)
#   localhost/replicated-mysql/mysqld-exporter:<ver>  the exporter the toolchain builds
#
#   bash scripts/node-images.sh refs                  print "name reference" per image (builds nothing)
#   bash scripts/node-images.sh build [name...]       build what is missing, print "ref dir" per image
#   bash scripts/node-images.sh import <containerd-socket>   import into namespace k8s.io (after `build`)
#
# The names are local on purpose: a Debian build is not the official `mysql`/`mariadb` image,
# so it must not carry its name. Each image is an OCI image layout (one layer of the tree)
# cached in ~/.cache/replicated-mysql/images/<name>-<key>, where the key is the
# root filesystem's own key (package versions) or the binary's digest: a new package version
# or program makes a new image, nothing else does. Needs root (engine-rootfs.sh) and the
# toolchain on PATH for the exporter and the pause program.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${REPLICATED_MYSQL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/replicated-mysql}/images"
REGISTRY=localhost/replicated-mysql
IMAGES=(pause mysql mariadb mysqld-exporter)

log() { echo "node-images: $*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# The tree or file each image holds, and its tag, as "tag<TAB>source".
image_source() { # name [--cached: the root filesystem as built, without asking the mirror]
  local tree bin
  case $1 in
    pause | mysqld-exporter)
      bin=$(command -v "${1/-/_}" 2>/dev/null || command -v "$1" 2>/dev/null) \
        || die "no $1 program on PATH: scripts/toolchain.sh builds it"
      # The toolchain's directory names the version: <name>-<version>.
      printf '%s\t%s\n' "$(basename "$(dirname "$bin")" | sed "s/^$1-//; s/-static\$//")" "$bin"
      ;;
    mysql | mariadb)
      tree=$(bash "$ROOT/scripts/engine-rootfs.sh" "$1" ${2:+"$2"}) || die "could not build the $1 root filesystem"
      printf '%s-debian\t%s\n' "$(sed -n "s/^$1-server \(1:\)\{0,1\}\([0-9.]*\).*/\2/p" "$tree/.packages")" "$tree"
      ;;
    *) die "unknown image '$1': one of ${IMAGES[*]}" ;;
  esac
}

# Writes an OCI image layout of SOURCE (a directory: the whole tree; a file: that one
# program as /<name>, the entrypoint) into DIR, tagged with REF's tag, with umoci (Debian's
# package): one layer holding the tree as it is (owners kept; the root filesystem's cache
# marker and package list come along, as plain files at /).
write_layout() { # source dir ref
  local src=$1 dir=$2 image="$2:${3##*:}" entry=()
  umoci init --layout "$dir" && umoci new --image "$image" || return 1
  if [ -d "$src" ]; then
    umoci insert --image "$image" "$src" / || return 1
  else
    umoci insert --image "$image" "$src" "/$(basename "$src")" || return 1
    entry=(--config.entrypoint "/$(basename "$src")")
  fi
  umoci config --image "$image" --os linux --architecture amd64 \
    --config.env "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "${entry[@]}" \
    && umoci gc --layout "$dir"
}

# Builds NAME's layout unless cached; prints "ref<TAB>dir".
build_image() { # name [--cached]
  local tag src ref dir staging start=$SECONDS
  IFS=$'\t' read -r tag src < <(image_source "$1" ${2:+"$2"})
  [ -n "$tag" ] || die "could not tell the version of $1 from $src"
  ref="$REGISTRY/$1:$tag"
  dir="$CACHE/$1-$tag-$( (echo umoci; basename "$src"; [ -d "$src" ] || sha256sum "$src") | sha256sum | cut -c1-8)"
  if [ ! -f "$dir/index.json" ]; then
    log "building $ref from $src"
    mkdir -p "$CACHE"
    staging=$(mktemp -d "$CACHE/.$1.XXXXXX")
    # umoci makes the layout's directory itself.
    write_layout "$src" "$staging/layout" "$ref" || { rm -rf "$staging"; die "could not write the image layout of $ref"; }
    rm -rf "$dir" && mv "$staging/layout" "$dir" && rmdir "$staging"
    for old in "$CACHE/$1"-*; do [ "$old" = "$dir" ] || rm -rf "$old"; done
    log "built $ref in $((SECONDS - start)) s ($(du -sh "$dir" | cut -f1))"
  fi
  printf '%s\t%s\n' "$ref" "$dir"
}

case "${1:-}" in
  refs)
    for name in "${IMAGES[@]}"; do
      IFS=$'\t' read -r tag _ < <(image_source "$name" --cached)
      echo "$name $REGISTRY/$name:$tag"
    done
    ;;
  build)
    shift
    for name in "${@:-${IMAGES[@]}}"; do build_image "$name"; done
    ;;
  import)
    socket=${2:?usage: node-images.sh import <containerd-socket>}
    for name in "${IMAGES[@]}"; do
      # The root filesystems as built (by `build`, or by an earlier import), without asking the mirror again.
      IFS=$'\t' read -r ref dir < <(build_image "$name" --cached)
      start=$SECONDS
      # An OCI layout names the tag only: --base-name supplies the rest of the reference.
      tar -C "$dir" -cf - oci-layout index.json blobs \
        | ctr --address "$socket" -n k8s.io images import --base-name "${ref%:*}" - >/dev/null \
        || die "ctr could not import $ref"
      log "imported $ref in $((SECONDS - start)) s"
    done
    ;;
  *) die "usage: node-images.sh refs | build | import <containerd-socket>" ;;
esac
