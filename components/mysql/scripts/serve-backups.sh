#!/usr/bin/env bash
# Sidecar clone-server, MariaDB only (a MySQL pod has no sidecar: its replicas clone with
# the CLONE plugin over port 3306 and set up replication through the server's --init-file).
# On a replica whose clone has just completed, waits for the local
# server and points replication at <sts>-0.<service> from the clone's GTID position, once:
# the pending-position file is removed only after that succeeded, and replication is
# (re)started on every sidecar start, which is harmless when it already runs. Then serves
# one full backup per connection on $CLONE_PORT to the next pod's clone-from-peer.
# `serve-backups.sh stream` is the per-connection command that ncat or socat runs.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# A server in crash recovery can take long to answer; after this the kubelet restarts us.
readonly SERVER_WAIT_SECONDS=900

load_engine
[[ $MYSQL_ENGINE == mariadb ]] || die "serve-backups.sh is the MariaDB backup stream; engine '$MYSQL_ENGINE' has no sidecar"

if [[ ${1:-} == stream ]]; then
  require_tools mktemp rm "$ENGINE_BACKUP"
  work=$(mktemp -d /tmp/backup.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  log "streaming a full backup to a peer"
  engine_stream_backup "$work"
  log "backup streamed"
  exit 0
fi
[[ $# -eq 0 ]] || die "usage: serve-backups.sh [stream]"

require_env PEER_SERVICE CLONE_PORT MYSQL_ROOT_PASSWORD REPLICATION_USER REPLICATION_PASSWORD BACKUP_USER BACKUP_PASSWORD
[[ $CLONE_PORT =~ ^[0-9]+$ ]] || die "CLONE_PORT '$CLONE_PORT' is not a port number"
require_tools uname id find mktemp mv rm sync sleep date "$ENGINE_CLIENT" "$ENGINE_ADMIN" "$ENGINE_BACKUP"
choose_transfer_tool
parse_pod_identity

write_client_option_file "$BACKUP_OPTION_FILE" "$BACKUP_USER" "$BACKUP_PASSWORD"

if ((ORDINAL > 0)); then
  rm -f "$RUN_DIR/clone-server-ready"
  wait_for_local_server "$SERVER_WAIT_SECONDS"
  # Sets up replication after a fresh clone (once), then (re)starts it.
  engine_apply_pending_replication sidecar || die "setting up replication from $(primary_host) failed"
  log "replication started"
fi

log "serving backups on port $CLONE_PORT"
serve_stream "$CLONE_PORT" "$SCRIPTS_DIR/serve-backups.sh" stream
