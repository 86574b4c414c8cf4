#!/usr/bin/env bash
# Container mysql: on pod 0, initialises an empty data volume (system tables and the root,
# replication and backup accounts) and marks it complete last; an initialisation that was
# interrupted is wiped and redone. On replicas, requires a completed clone. A volume the other
# engine made is refused first, on every pod, and left as it was. Then execs the
# server with our configuration file only (--defaults-file: nothing the image carries is
# read), so that it receives SIGTERM from the kubelet directly.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

load_engine
require_env PEER_SERVICE MYSQL_ROOT_PASSWORD REPLICATION_USER REPLICATION_PASSWORD BACKUP_USER BACKUP_PASSWORD METRICS_USER METRICS_PASSWORD
require_tools uname find wc mktemp mv rm sync sleep date tail "$ENGINE_SERVER" "$ENGINE_CLIENT"
parse_pod_identity
[[ -f $SERVER_CONFIG ]] || die "$SERVER_CONFIG missing: init-config has not run"
refuse_foreign_data_dir

if ((ORDINAL == 0)); then
  if [[ ! -f $INIT_MARKER ]]; then
    # Only our own interrupted initialisation is wiped: data that we did not create is kept.
    if [[ -n $(find "$DATA_DIR" -mindepth 1 -maxdepth 1 -print -quit) && ! -f $INIT_STARTED ]]; then
      die "$DATA_DIR holds data that this script did not create (no $INIT_MARKER): refusing to initialise over it"
    fi
    require_tools "${ENGINE_INIT_TOOLS[@]}"
    wipe_data_dir
    write_state_file "$INIT_STARTED" "initialisation of $POD_NAME started $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    log "initialising a new datadir for the primary"
    engine_initialize_datadir
    write_state_file "$INIT_MARKER" "initialised $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    rm -f "$INIT_STARTED"
    log "datadir initialised"
  fi
else
  # A re-clone the readiness probe requested (the primary purged binary logs this replica
  # needs). A container restart does not run the init containers again, so the clone is made
  # here, by the same script; the request is dropped only once the clone is complete.
  if [[ -f $RECLONE_REQUEST ]]; then
    log "cloning again from $(donor_host): $(<"$RECLONE_REQUEST")"
    rm -f "$CLONE_MARKER"
    write_state_file "$RECLONE_RUNNING" "$$"
    bash "$SCRIPTS_DIR/clone-from-peer.sh" || die "cloning again from $(donor_host) failed"
    rm -f "$RECLONE_REQUEST" "$RECLONE_RUNNING"
  fi
  [[ -f $CLONE_MARKER ]] || die "no completed clone in $DATA_DIR: clone-from-peer must finish first"
fi

server_options=$(engine_server_options)
mapfile -t options <<<"$server_options"
[[ -n $server_options ]] || options=()
# The probes' findings (log_to_pod) into this container's log: tail follows the file until
# the server, which this process becomes, exits.
: >>"$POD_LOG_FILE"
tail -n 0 -F --pid=$$ "$POD_LOG_FILE" >&2 &
exec "$ENGINE_SERVER" --defaults-file="$SERVER_CONFIG" "${options[@]}"
