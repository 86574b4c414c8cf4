#!/usr/bin/env bash
# Probes of container mysql: probe.sh startup|liveness|readiness.
#   startup, liveness: the server answers on its socket (the StatefulSet gives startup a long
#     failure threshold, so crash recovery is not mistaken for a hang).
#   readiness: the server runs queries over TCP as root; on a replica, both replication
#     threads also run (a replica still being set up or broken serves no reads).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

load_engine
require_tools uname mktemp mv date "$ENGINE_CLIENT" "$ENGINE_ADMIN"

case ${1:-} in
  startup | liveness)
    server_answers || die "$1: the server does not answer on $SOCKET"
    ;;
  readiness)
    require_env PEER_SERVICE MYSQL_ROOT_PASSWORD
    parse_pod_identity
    root_client_tcp -e 'SELECT 1' >/dev/null || die "readiness: no query over TCP"
    if ((ORDINAL > 0)); then
      root_client_tcp --column-names --vertical -e "$ENGINE_SQL_REPLICA_STATUS" | engine_replication_threads_running ||
        die "readiness: replication threads are not both running"
    fi
    ;;
  *) die "usage: probe.sh startup|liveness|readiness" ;;
esac
