#!/usr/bin/env bash
# Init container init-config: writes this pod's server configuration into /etc/mysql/conf.d
# (an emptyDir) as ONE file, server.cnf: server_id = 100 + ordinal, then common.cnf, then
# primary.cnf on pod 0 or replica.cnf on the others, from the ConfigMap, then the binary log
# retention (BINLOG_RETENTION_SECONDS) and what the engine sets per pod. Every server of
# ours starts with --defaults-file=server.cnf, so the image's own configuration files are
# never read and cannot override ours. Everything is checked before the file is written,
# and it is written through a rename, so a failure leaves no partial configuration behind.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_tools uname cat mv rm mktemp find date
load_engine
require_env BINLOG_RETENTION_SECONDS
# The component's bounds (args.ts): at least an hour, at most MariaDB's largest, 99 days.
if ! [[ $BINLOG_RETENTION_SECONDS =~ ^[1-9][0-9]{3,6}$ ]] || ((BINLOG_RETENTION_SECONDS < 3600 || BINLOG_RETENTION_SECONDS > 8553600)); then
  die "BINLOG_RETENTION_SECONDS must be a whole number of seconds from 3600 to 8553600, not '$BINLOG_RETENTION_SECONDS'"
fi

parse_pod_identity
if ((ORDINAL == 0)); then role=primary; else role=replica; fi

for file in common.cnf "$role.cnf"; do
  [[ -f $CONFIG_MAP_DIR/$file ]] || die "$CONFIG_MAP_DIR/$file missing from the ConfigMap"
done
[[ -d $CONF_DIR && -w $CONF_DIR ]] || die "$CONF_DIR is not a writable directory"

# Assemble under a hidden name (servers read only *.cnf in conf.d), then rename into place.
tmp=$(mktemp "$CONF_DIR/.server.cnf.XXXXXX")
trap 'rm -f "$tmp"' EXIT
{
  printf '# Written by init-config.sh for %s from the ConfigMap: server-id, common.cnf, %s.cnf\n' "$POD_NAME" "$role"
  printf '[mysqld]\nserver_id = %d\n\n' "$((SERVER_ID_BASE + ORDINAL))"
  cat "$CONFIG_MAP_DIR/common.cnf"
  printf '\n'
  cat "$CONFIG_MAP_DIR/$role.cnf"
  printf '\n[mysqld]\n# How long binary logs are kept (component arg binlogRetentionSeconds).\nbinlog_expire_logs_seconds = %d\n' "$BINLOG_RETENTION_SECONDS"
  engine_pod_config
} >"$tmp"

find "$CONF_DIR" -maxdepth 1 -name '*.cnf' -type f -delete
mv "$tmp" "$SERVER_CONFIG"
log "configured $POD_NAME as $role with server_id $((SERVER_ID_BASE + ORDINAL))"
