#!/usr/bin/env bash
# Installs what `npm run test:dataplane`, `npm run bench` and the shellcheck unit test need,
# from the host's Debian packages: MariaDB 10.11 server/client/backup, ncat and socat,
# ShellCheck, iproute2, util-linux, mmdebstrap, for the bench gnuplot-nox (its plot), and
# for monitoring prometheus (its promtool tests the alert rules). Builds mysqld_exporter, the
# version the component's metrics image pins, from the Go module proxy
# (scripts/toolchain.sh --only mysqld-exporter; needs go). Then builds the MySQL 9.7 root
# filesystem from Debian
# unstable with scripts/engine-rootfs.sh (into ~/.cache/replicated-mysql/rootfs; nothing
# from unstable is installed on the host), or finds it there when no package version
# changed.
# Idempotent. The package's own mariadb service must not stay running: the tests start
# their own servers in private namespaces, and a packaged one would only waste memory.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "setup-dataplane: run as root (it installs Debian packages)" >&2
  exit 1
fi

packages=(mariadb-server mariadb-client mariadb-backup ncat socat shellcheck iproute2 util-linux procps gnuplot-nox mmdebstrap
  prometheus)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [[ ${#missing[@]} -gt 0 ]]; then
  # policy-rc.d exit 101 tells invoke-rc.d not to start services during the install;
  # keep any policy the machine already has.
  policy=/usr/sbin/policy-rc.d
  made_policy=no
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    made_policy=yes
  fi
  trap '[[ $made_policy == yes ]] && rm -f "$policy"' EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Stop a packaged server if one runs anyway (e.g. a machine where it was started earlier).
if command -v service >/dev/null && service mariadb status >/dev/null 2>&1; then
  service mariadb stop
fi

for bin in mariadbd mariadb mariadb-admin mariadb-install-db mariabackup mbstream ncat socat shellcheck ip nsenter unshare gnuplot mmdebstrap promtool; do
  command -v "$bin" >/dev/null || { echo "setup-dataplane: $bin still missing after install" >&2; exit 1; }
done

exporter=$(bash "$(dirname "$0")/toolchain.sh" --only mysqld-exporter)/mysqld_exporter
rootfs=$(bash "$(dirname "$0")/engine-rootfs.sh" mysql)
echo "setup-dataplane: ready ($(mariadbd --version | head -1); $("$exporter" --version 2>&1 | head -1); MySQL $(sed -n 's/^mysql-server //p' "$rootfs/.packages") in $rootfs)"
