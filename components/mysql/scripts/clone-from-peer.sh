#!/usr/bin/env bash
# Init container clone-from-peer: on a replica (ordinal N>0) whose data volume has no
# completed clone, wipes what is there, seeds a copy of the previous pod
# (<sts>-(N-1).<service>) into a staging directory inside the volume (the engine's way:
# MySQL's CLONE plugin over port 3306, MariaDB's mariabackup stream), moves it into place,
# and writes the completion marker LAST. A volume with the marker is kept as it is; anything
# else is an interrupted clone and is redone from scratch. Pod 0 never clones. A replica
# donor with errant transactions is refused. run-mysqld.sh also runs this script, when the
# readiness probe asked for a re-clone (purged binary logs).
# See README.md (clone state machine; replicas that never break and never lie).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The peer may not answer yet (it has just become Ready): retry for about two minutes
# before failing and leaving the retry to the kubelet.
readonly CLONE_ATTEMPTS=40
readonly CLONE_RETRY_SECONDS=3

load_engine
require_env PEER_SERVICE BACKUP_USER BACKUP_PASSWORD MYSQL_ROOT_PASSWORD
require_tools uname find wc mv rmdir mktemp sync sleep date grep sort tr "$ENGINE_CLIENT" "${ENGINE_CLONE_TOOLS[@]}"
parse_pod_identity

if ((ORDINAL == 0)); then
  log "pod 0 is the primary: it never clones"
  exit 0
fi
if [[ -f $CLONE_MARKER ]]; then
  log "clone already complete ($(<"$CLONE_MARKER")): keeping the data volume as it is"
  exit 0
fi
[[ -f $SERVER_CONFIG ]] || die "$SERVER_CONFIG missing: init-config has not run"
engine_prepare_clone

donor=$(donor_host)
# Where the donor serves clones: the engine's port (MySQL: the server's, MariaDB: $CLONE_PORT).
donor_address=$donor:$(engine_donor_port)

# A replica donor with errant transactions is refused (exits naming them): its copy would
# carry changes the primary never made. Local maintenance statements of the donor (FLUSH
# ...) are not errant. Returns 1 when the donor or the primary cannot be asked yet.
check_donor() {
  local position own reason
  ((ORDINAL > 1)) || return 0
  position=$(primary_position) || {
    log "cannot ask the primary $(primary_host) what it has committed, to check the donor $donor"
    return 1
  }
  own=$(engine_own_transactions "$donor" "$position") || {
    log "cannot read the GTID state of the donor $donor"
    return 1
  }
  [[ -n $own ]] || return 0
  reason=$(errant_reason_at "$donor" "$own") || {
    log "cannot read the binary logs of the donor $donor"
    return 1
  }
  [[ -z $reason ]] || die "refusing to clone from $donor: $reason (README: Recover, a diverged replica)"
  log "the donor $donor has local maintenance statements of its own ($own): not errant; this clone will not carry their GTIDs"
}

# One attempt: returns 0 when the clone is complete, 1 when it may succeed on a retry.
clone_once() {
  local start=$SECONDS
  CLONE_DESCRIPTION=""
  check_donor || return 1
  engine_clone_into "$CLONE_STAGING" "$donor" || return 1
  # set -e does not apply inside a function called from a condition: check each step.
  sync_tree "$CLONE_STAGING" || return 1
  move_into_data_dir "$CLONE_STAGING" || return 1
  write_state_file "$CLONE_MARKER" "cloned from $donor by $CLONE_DESCRIPTION, $(date -u +%Y-%m-%dT%H:%M:%SZ)" || return 1
  log "clone complete in $((SECONDS - start))s from $donor ($CLONE_DESCRIPTION)"
}

for ((attempt = 1; ; attempt++)); do
  wipe_data_dir
  log "attempt $attempt/$CLONE_ATTEMPTS: cloning from $donor_address"
  if clone_once; then
    exit 0
  fi
  ((attempt < CLONE_ATTEMPTS)) || die "no complete clone from $donor_address after $CLONE_ATTEMPTS attempts"
  sleep "$CLONE_RETRY_SECONDS"
done
