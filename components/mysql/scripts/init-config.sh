#!/usr/bin/env bash
# Init container init-config: writes this pod's server configuration into /etc/mysql/conf.d
# (an emptyDir): server-id.cnf (server_id = 100 + ordinal), common.cnf, and primary.cnf on
# pod 0 or replica.cnf on the others, from the ConfigMap. Everything is checked before the
# first file is written, so a failure leaves no partial configuration behind.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_tools uname cp mv rm mktemp find date

parse_pod_identity
if ((ORDINAL == 0)); then role=primary; else role=replica; fi

for file in common.cnf "$role.cnf"; do
  [[ -f $CONFIG_MAP_DIR/$file ]] || die "$CONFIG_MAP_DIR/$file missing from the ConfigMap"
done
[[ -d $CONF_DIR && -w $CONF_DIR ]] || die "$CONF_DIR is not a writable directory"

# Assemble in a hidden directory (the server reads only *.cnf in conf.d), then move into place.
staging=$(mktemp -d "$CONF_DIR/.staging.XXXXXX")
trap 'rm -rf "$staging"' EXIT
printf '# Written by init-config.sh for %s\n[mysqld]\nserver_id = %d\n' \
  "$POD_NAME" "$((SERVER_ID_BASE + ORDINAL))" >"$staging/server-id.cnf"
cp "$CONFIG_MAP_DIR/common.cnf" "$staging/common.cnf"
cp "$CONFIG_MAP_DIR/$role.cnf" "$staging/$role.cnf"

find "$CONF_DIR" -maxdepth 1 -name '*.cnf' -type f -delete
mv "$staging"/*.cnf "$CONF_DIR"/
log "configured $POD_NAME as $role with server_id $((SERVER_ID_BASE + ORDINAL))"
