#!/usr/bin/env bash
# Probes of container mysql: probe.sh startup WATCH_MS | liveness | readiness.
#   startup, liveness: the server answers on its socket (the StatefulSet gives startup a long
#     failure threshold, so crash recovery is not mistaken for a hang), or run-mysqld.sh is
#     cloning again (however long that takes). Startup keeps asking every 0.1 s for up to
#     WATCH_MS milliseconds, which the StatefulSet sets below the probe's timeout: the kubelet
#     probes on a ticker, and a server that starts between two ticks would otherwise wait out
#     the rest of the period before its pod can become Ready.
#   readiness: the server runs queries over TCP as root. On a replica also:
#     - if the primary purged binary logs it still needs (the receiver's error 1236 and only
#       that), it requests a re-clone (run-mysqld.sh makes it) and stops the server;
#     - both replication threads run;
#     - it has no errant transactions (transactions of its own that changed data, or that a
#       clone brought): the reason is logged to the pod log and given here;
#     - it has applied everything the primary had committed when the probe asked, within
#       READINESS_CATCH_UP_SECONDS: a replica further behind serves no reads.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

load_engine
require_tools uname mktemp mv date sync sleep grep sort tr cat "$ENGINE_CLIENT" "$ENGINE_ADMIN"

case ${1:-} in
  startup)
    [[ ${2:-} =~ ^[1-9][0-9]{0,4}$ ]] || die "usage: probe.sh startup WATCH_MS (1 to 99999 milliseconds), not '${2:-}'"
    # Microseconds since the epoch: bash 5's EPOCHREALTIME, whatever the locale's decimal mark.
    until_us=$((${EPOCHREALTIME/[.,]/} + $2 * 1000))
    # No socket, no server: only a stat until the socket appears.
    until [[ -S $SOCKET ]] && server_answers || reclone_running; do
      ((${EPOCHREALTIME/[.,]/} < until_us)) || die "startup: the server does not answer on $SOCKET (watched for $2 ms)"
      sleep 0.1
    done
    ;;
  liveness)
    server_answers || reclone_running || die "$1: the server does not answer on $SOCKET"
    ;;
  readiness)
    require_env PEER_SERVICE MYSQL_ROOT_PASSWORD READINESS_CATCH_UP_SECONDS
    # The component's bounds (args.ts).
    if ! [[ $READINESS_CATCH_UP_SECONDS =~ ^[1-9][0-9]?$ ]] || ((READINESS_CATCH_UP_SECONDS > 30)); then
      die "READINESS_CATCH_UP_SECONDS must be a whole number of seconds from 1 to 30, not '$READINESS_CATCH_UP_SECONDS'"
    fi
    parse_pod_identity
    root_client_tcp -e 'SELECT 1' >/dev/null || die "readiness: no query over TCP"
    ((ORDINAL > 0)) || exit 0

    # A clone made by the mysql container itself (run-mysqld.sh) needs its replication set up.
    engine_apply_pending_replication probe || die "readiness: setting up replication from $(primary_host) failed"
    status=$(root_client_tcp --column-names --vertical -e "$ENGINE_SQL_REPLICA_STATUS")
    if [[ $status =~ $ENGINE_PURGED_ERROR_PATTERN ]]; then
      reason="the primary purged binary logs this replica still needs (${BASH_REMATCH[0]//$'\n'/ })"
      if [[ ! -f $RECLONE_REQUEST ]]; then
        write_state_file "$RECLONE_REQUEST" "$reason"
        log_to_pod "$reason: stopping the server to clone again from $(donor_host)"
      fi
      # Again at every probe until the server is down: one SHUTDOWN may have been lost.
      root_client_tcp -e "SHUTDOWN" || true
      die "readiness: $reason; re-clone requested"
    fi
    if ! engine_replication_threads_running <<<"$status"; then
      die "readiness: replication threads are not both running ($(grep -E 'Last_(IO|SQL)_Error:' <<<"$status" | tr -s ' \n' ' ')$(engine_applier_error_detail || true))"
    fi

    position=$(primary_position) || die "readiness: cannot ask the primary $(primary_host) what it has committed"
    own=$(engine_own_transactions 127.0.0.1 "$position") || die "readiness: cannot read this replica's GTID state"
    if [[ -n $own ]]; then
      reason=$(errant_transactions_reason "$own") || die "readiness: cannot read this replica's binary logs"
      [[ -z $reason ]] || die "readiness: $reason"
    fi
    reached=$(root_client_tcp -e "$(engine_sql_wait_for_position "$position" "$READINESS_CATCH_UP_SECONDS")") ||
      die "readiness: waiting for the primary's position failed"
    [[ $reached == 0 ]] ||
      die "readiness: has not applied what the primary had committed ($position) within ${READINESS_CATCH_UP_SECONDS}s"
    ;;
  *) die "usage: probe.sh startup WATCH_MS | liveness | readiness" ;;
esac
