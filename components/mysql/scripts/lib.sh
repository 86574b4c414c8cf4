# shellcheck shell=bash
# shellcheck disable=SC2034 # the paths are used by the scripts that source this file
# Shared by every pod script: paths and state files of the contract, logging, checks of
# environment and tools, the pod's identity, client option files, and the engine choice.
# Sourced, never run. Engine differences live only in engine-mysql.sh / engine-mariadb.sh.

SCRIPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SCRIPTS_DIR
readonly DATA_DIR=/var/lib/mysql
readonly CONF_DIR=/etc/mysql/conf.d
readonly CONFIG_MAP_DIR=/mnt/config-map
readonly RUN_DIR=/run/mysqld
readonly SOCKET=$RUN_DIR/mysqld.sock
readonly SERVER_PORT=3306
readonly SERVER_ID_BASE=100
readonly ROOT_OPTION_FILE=$RUN_DIR/root.cnf
# The one server configuration file, written by init-config.sh. Every server of ours starts
# with --defaults-file pointing here, so no configuration file the image carries (Debian's
# packages set bind-address = 127.0.0.1 and a log file of their own) is read at all.
readonly SERVER_CONFIG=$CONF_DIR/server.cnf

# State kept in the data volume. Dot-files: the server and the backup tools ignore them, so a
# donor's state never travels inside a clone.
readonly INIT_STARTED=$DATA_DIR/.pod-init-started              # pod 0: initialisation under way
readonly INIT_MARKER=$DATA_DIR/.pod-init-complete              # pod 0: datadir and accounts ready
readonly CLONE_STAGING=$DATA_DIR/.pod-clone-staging            # replica: backup being received
readonly CLONE_MARKER=$DATA_DIR/.pod-clone-complete            # replica: clone received and prepared
readonly REPLICATION_PENDING=$DATA_DIR/.pod-replication-pending # replica: GTID position, until replication is set up
# In the pod's /run/mysqld (it outlives container restarts, not the pod): why this replica
# must clone again. Written by the readiness probe, honoured by run-mysqld.sh.
readonly RECLONE_REQUEST=$RUN_DIR/reclone-requested
# While run-mysqld.sh clones again: its pid (the startup and liveness probes then pass: a
# clone may take longer than the startup probe's 10 minutes).
readonly RECLONE_RUNNING=$RUN_DIR/recloning
# The readiness probe's last verdict on this replica's own transactions: "<GTIDs><TAB><verdict>".
readonly OWN_TRANSACTIONS_VERDICT=$RUN_DIR/own-transactions

SCRIPT_NAME=$(basename "$0")

log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$SCRIPT_NAME" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# Fails naming every variable that is unset or empty.
require_env() {
  local name missing=()
  for name in "$@"; do
    [[ -n ${!name:-} ]] || missing+=("$name")
  done
  ((${#missing[@]} == 0)) || die "missing or empty environment variable(s): ${missing[*]}"
}

# Fails naming every command that is not installed in this container's image.
require_tools() {
  local tool missing=()
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  ((${#missing[@]} == 0)) || die "missing tool(s) in this image: ${missing[*]}"
}

# Sets POD_NAME, STS_NAME and ORDINAL from the hostname, which Kubernetes sets to the pod
# name (<statefulset>-<ordinal>). uname -n because hostname(1) is not in every image.
parse_pod_identity() {
  POD_NAME=$(uname -n)
  [[ $POD_NAME =~ ^([a-z0-9][-a-z0-9.]*)-(0|[1-9][0-9]*)$ ]] ||
    die "hostname '$POD_NAME' does not end in -<ordinal>: expected a StatefulSet pod name such as mysql-0"
  STS_NAME=${BASH_REMATCH[1]}
  ORDINAL=${BASH_REMATCH[2]}
}

# DNS names through the headless Service: the primary and the previous pod (the clone donor).
primary_host() { printf '%s-0.%s' "$STS_NAME" "$PEER_SERVICE"; }
donor_host() { printf '%s-%d.%s' "$STS_NAME" "$((ORDINAL - 1))" "$PEER_SERVICE"; }

# Chooses the engine: defines ENGINE_* names and engine_* functions.
load_engine() {
  require_env MYSQL_ENGINE
  case $MYSQL_ENGINE in
    mysql | mariadb)
      # shellcheck source=/dev/null
      source "$SCRIPTS_DIR/engine-$MYSQL_ENGINE.sh"
      ;;
    *) die "unknown MYSQL_ENGINE '$MYSQL_ENGINE': expected mysql or mariadb" ;;
  esac
}

# Exits when the data volume holds the other engine's datadir (ENGINE_FOREIGN_DATADIR_SIGNS),
# before anything reads or writes it: neither engine starts on the other's files, and a
# start would rewrite some of them (logs, control files) first. The stack refuses the engine
# switch too, but only while its last deployment's outputs remain (not after a destroy, which
# keeps the claims).
refuse_foreign_data_dir() {
  local sign
  for sign in "${ENGINE_FOREIGN_DATADIR_SIGNS[@]}"; do
    [[ -e $DATA_DIR/$sign ]] || continue
    die "$DATA_DIR holds a $ENGINE_FOREIGN_NAME datadir ($sign), and this pod runs $ENGINE_NAME: refusing to start on it; the volume is left as it was (README: Recover, a volume of the other engine)"
  done
}

# Prints its argument as a single-quoted SQL string literal.
sql_string() {
  local s=${1//\\/\\\\}
  s=${s//\'/\'\'}
  printf "'%s'" "$s"
}

# Escapes a value for a double-quoted option-file value.
option_value() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  printf '%s' "$s"
}

# Writes a [client] option file with mode 0600, atomically (containers of the pod share
# $RUN_DIR), so that a password never appears on a command line.
write_client_option_file() {
  local path=$1 user=$2 password=$3 tmp
  tmp=$(mktemp "$path.XXXXXX")
  printf '[client]\nuser="%s"\npassword="%s"\n' "$(option_value "$user")" "$(option_value "$password")" >"$tmp"
  mv -f "$tmp" "$path"
}

# True when the local server answers on its socket (mysqladmin ping succeeds even when the
# account is refused: it tests the server, not the credentials).
server_answers() {
  "$ENGINE_ADMIN" --no-defaults --socket="$SOCKET" --connect-timeout=2 ping >/dev/null 2>&1
}

wait_for_local_server() {
  local timeout=$1 start=$SECONDS
  until server_answers; do
    ((SECONDS - start < timeout)) || die "local server did not answer on $SOCKET within ${timeout}s"
    # 0.1 s, not 1 s: this wait sits between the server listening and the pod being Ready
    # (docs/benchmarks.md, per-pod overhead).
    sleep 0.1
  done
}

# Runs the client as root over TCP on host $1, as an application would connect; the other
# arguments go to the client. --defaults-file: the client reads our option file only, none
# of the image's.
root_client_at() {
  local host=$1
  shift
  write_client_option_file "$ROOT_OPTION_FILE" root "$MYSQL_ROOT_PASSWORD"
  "$ENGINE_CLIENT" --defaults-file="$ROOT_OPTION_FILE" --protocol=TCP --host="$host" \
    --port="$SERVER_PORT" --connect-timeout=3 --batch --skip-column-names "$@"
}

# The client as root on the pod's own loopback.
root_client_tcp() { root_client_at 127.0.0.1 "$@"; }

# The client as root on the primary.
primary_client() { root_client_at "$(primary_host)" "$@"; }

# Reads "$ENGINE_SQL_REPLICA_STATUS" in vertical form (client option -E: the 9.x client no
# longer accepts the \G command) on stdin; true when both replication threads run.
engine_replication_threads_running() {
  local status
  status=$(cat)
  [[ $status =~ ${ENGINE_REPLICA_STATUS_FIELD_PREFIX}_IO_Running:\ Yes &&
    $status =~ ${ENGINE_REPLICA_STATUS_FIELD_PREFIX}_SQL_Running:\ Yes ]]
}

# Empties the data volume (hidden files too).
wipe_data_dir() {
  local entries
  entries=$(find "$DATA_DIR" -mindepth 1 -maxdepth 1 | wc -l)
  if ((entries > 0)); then
    log "wiping $entries entries from $DATA_DIR"
    find "$DATA_DIR" -mindepth 1 -delete
  fi
}

# Writes a state file through a rename and flushes it and its directory, so it exists whole
# or not at all. Flushes these files only: a global sync would also wait for every other
# process's dirty pages.
write_state_file() {
  local path=$1 content=$2 tmp
  tmp=$(mktemp "$path.XXXXXX") || return 1
  printf '%s\n' "$content" >"$tmp" || return 1
  sync "$tmp" || return 1
  mv -f "$tmp" "$path" || return 1
  sync "$(dirname "$path")"
}

# Flushes every file under a directory, and the directories, to stable storage.
sync_tree() {
  find "$1" \( -type f -o -type d \) -exec sync {} +
}

# Moves every entry of directory $1 (hidden ones too) into $DATA_DIR and removes $1.
move_into_data_dir() {
  find "$1" -mindepth 1 -maxdepth 1 -exec mv -t "$DATA_DIR" {} + && rmdir "$1"
}

# Lines for the mysql container's log from processes that have no way into it (probes: the
# kubelet keeps a probe's output for its events only). run-mysqld.sh copies what is appended
# here to the container's standard error for as long as the server runs.
readonly POD_LOG_FILE=$RUN_DIR/pod-log

# Logs to stderr and to the mysql container's log.
log_to_pod() {
  log "$*"
  printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$SCRIPT_NAME" "$*" >>"$POD_LOG_FILE" 2>/dev/null || true
}

# Statements a replica accepts and logs of its own without changing data: they are local
# maintenance, not errant transactions.
readonly MAINTENANCE_STATEMENT='^(FLUSH|REPAIR|ANALYZE|OPTIMIZE)[[:space:]]'
# Binary log events that carry no transaction of their own.
readonly BINLOG_FRAME_EVENTS=" Format_desc Previous_gtids Gtid_list Binlog_checkpoint Rotate Stop Start_encryption Gtid Gtid_log_event "

# Prints, one per line, up to 5 events that the server on host $1 logged of its own in its
# binary logs and that are not local maintenance (the errant changes); nothing when there
# are none.
own_changes_in_binlog() {
  local host=$1 own_id file found=0
  own_id=$(root_client_at "$host" -e "SELECT @@GLOBAL.server_id") || return 1
  while IFS=$'\t' read -r file _; do
    while IFS=$'\t' read -r _ _ type server_id _ info; do
      [[ $server_id == "$own_id" ]] || continue
      [[ $BINLOG_FRAME_EVENTS == *" $type "* ]] && continue
      [[ $type == Query ]] && { [[ ${info^^} =~ $MAINTENANCE_STATEMENT ]] || [[ ${info^^} =~ ^(BEGIN|COMMIT) ]]; } && continue
      printf '%s %s in %s: %s\n' "$type" "$server_id" "$file" "${info:0:120}"
      ((++found < 5)) || return 0
    done < <(root_client_at "$host" -e "SHOW BINLOG EVENTS IN $(sql_string "$file")")
  done < <(root_client_at "$host" -e "SHOW BINARY LOGS")
}

# Prints the origin (MySQL server_uuid, MariaDB server_id) of each entry of GTID set $1, one a line.
gtid_origins() {
  local entry
  local -a entries
  IFS=, read -ra entries <<<"$1"
  for entry in "${entries[@]}"; do
    [[ $entry =~ $ENGINE_GTID_ORIGIN_PATTERN ]] && printf '%s\n' "${BASH_REMATCH[1]}"
  done
  return 0
}

# Why the transactions $2 that the server on host $1 has and the primary has not are
# errant: they changed data, or they were not logged there (a clone brought them), so what
# they did cannot be told. Prints nothing when they are local maintenance only.
errant_reason_at() {
  local host=$1 own=$2 origin foreign changes
  origin=$(root_client_at "$host" -e "$ENGINE_SQL_GTID_ORIGIN") || return 1
  foreign=$(gtid_origins "$own" | grep -vxF "$origin" | sort -u | tr '\n' ' ') || true
  if [[ -n $foreign ]]; then
    printf 'errant transactions %s: not logged there (from %s), brought by a clone' "$own" "${foreign% }"
    return 0
  fi
  changes=$(own_changes_in_binlog "$host") || return 1
  [[ -z $changes ]] || printf 'errant transactions %s changed data: %s' "$own" "${changes//$'\n'/; }"
}

# errant_reason_at for this replica's own transactions $1, logged to the pod log when the
# verdict changes. The verdict is kept in $OWN_TRANSACTIONS_VERDICT and reused while the set
# does not change, so the binary logs are read once per change, not at every probe.
errant_transactions_reason() {
  local own=$1 cached verdict
  if [[ -f $OWN_TRANSACTIONS_VERDICT ]]; then
    cached=$(<"$OWN_TRANSACTIONS_VERDICT")
    if [[ ${cached%%$'\t'*} == "$own" ]]; then
      printf '%s' "${cached#*$'\t'}"
      return 0
    fi
  fi
  verdict=$(errant_reason_at 127.0.0.1 "$own") || return 1
  if [[ -n $verdict ]]; then
    log_to_pod "ERROR: $verdict (README: Recover, a diverged replica)"
  else
    log_to_pod "local maintenance statements of this replica ($own: FLUSH, REPAIR, ANALYZE, OPTIMIZE only): not errant, replication unaffected"
  fi
  write_state_file "$OWN_TRANSACTIONS_VERDICT" "$own"$'\t'"$verdict" || return 1
  printf '%s' "$verdict"
}

# The primary's committed position (engine form), one line without white space.
primary_position() {
  local position
  position=$(primary_client -e "$ENGINE_SQL_PRIMARY_POSITION") || return 1
  position=${position//\\n/}
  printf '%s' "${position//[[:space:]]/}"
}

# True while run-mysqld.sh of this container is cloning again.
reclone_running() {
  local pid
  pid=$(cat "$RECLONE_RUNNING" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}
