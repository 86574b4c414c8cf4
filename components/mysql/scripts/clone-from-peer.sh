#!/usr/bin/env bash
# Init container clone-from-peer: on a replica (ordinal N>0) whose data volume has no
# completed clone, wipes what is there, streams a backup from the previous pod's
# clone-server (<sts>-(N-1).<service>:$CLONE_PORT), prepares it, records the GTID position
# to replicate from, and writes the completion marker LAST. A volume with the marker is
# kept as it is; anything else is an interrupted clone and is redone from scratch.
# Pod 0 never clones. See README.md (clone state machine).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The peer may not listen yet (it has just become Ready): retry for about two minutes
# before failing and leaving the retry to the kubelet.
readonly CLONE_ATTEMPTS=40
readonly CLONE_RETRY_SECONDS=3

load_engine
require_env PEER_SERVICE CLONE_PORT
[[ $CLONE_PORT =~ ^[0-9]+$ ]] || die "CLONE_PORT '$CLONE_PORT' is not a port number"
require_tools uname find wc du mv mkdir rmdir mktemp sync sleep date grep "$ENGINE_XBSTREAM" "$ENGINE_BACKUP"
choose_transfer_tool
parse_pod_identity

if ((ORDINAL == 0)); then
  log "pod 0 is the primary: it never clones"
  exit 0
fi
if [[ -f $CLONE_MARKER ]]; then
  log "clone already complete ($(<"$CLONE_MARKER")): keeping the data volume as it is"
  exit 0
fi

donor=$(donor_host)

# One attempt: returns 0 when the clone is complete, 1 when it may succeed on a retry.
# Malformed metadata is final: retrying would fetch the same.
clone_once() {
  local start=$SECONDS started_us=${EPOCHREALTIME//[!0-9]/} bytes elapsed_ms position
  mkdir -p "$CLONE_STAGING" || return 1
  # --parallel=2: files are written by two threads while the stream is read (both engines'
  # extractors accept it; measured for MariaDB in docs/benchmarks.md).
  if ! receive_stream_into "$donor" "$CLONE_PORT" "$ENGINE_XBSTREAM" -x --parallel=2 -C "$CLONE_STAGING"; then
    log "receiving from $donor:$CLONE_PORT failed"
    return 1
  fi
  # The backup tools stream xtrabackup_checkpoints and then xtrabackup_info after all data.
  if ! grep -qs '^backup_type = full-backuped' "$CLONE_STAGING/xtrabackup_checkpoints" ||
    [[ ! -f $CLONE_STAGING/xtrabackup_info ]]; then
    log "the stream from $donor:$CLONE_PORT ended before a complete backup"
    return 1
  fi
  bytes=$(du -sb "$CLONE_STAGING" | { read -r size _ && printf '%s' "$size"; })
  elapsed_ms=$(((${EPOCHREALTIME//[!0-9]/} - started_us) / 1000))
  log "received $bytes bytes from $donor in ${elapsed_ms} ms ($((bytes / 1000 / (elapsed_ms + 1))) MB/s)"
  position=$(clone_position "$CLONE_STAGING") || exit 1
  if ! engine_prepare_backup "$CLONE_STAGING"; then
    log "preparing the backup failed"
    return 1
  fi
  # set -e does not apply inside a function called from a condition: check each step.
  find "$CLONE_STAGING" -mindepth 1 -maxdepth 1 -exec mv -t "$DATA_DIR" {} + || return 1
  rmdir "$CLONE_STAGING" || return 1
  write_state_file "$REPLICATION_PENDING" "$position" || return 1
  write_state_file "$CLONE_MARKER" "cloned from $donor at GTID position '$position', $(date -u +%Y-%m-%dT%H:%M:%SZ)" || return 1
  log "clone complete in $((SECONDS - start))s (GTID position '$position')"
}

for ((attempt = 1; ; attempt++)); do
  wipe_data_dir
  log "attempt $attempt/$CLONE_ATTEMPTS: cloning from $donor:$CLONE_PORT"
  if clone_once; then
    exit 0
  fi
  ((attempt < CLONE_ATTEMPTS)) || die "no complete clone from $donor:$CLONE_PORT after $CLONE_ATTEMPTS attempts"
  sleep "$CLONE_RETRY_SECONDS"
done
