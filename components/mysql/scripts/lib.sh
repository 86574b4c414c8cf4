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
readonly BACKUP_OPTION_FILE=$RUN_DIR/backup.cnf
# A backup stream that carries nothing for this long is cut: 10 min. Only the transfer's
# tests shorten it, through STREAM_IDLE_TIMEOUT_SECONDS; the component never sets that.
readonly STREAM_IDLE_SECONDS=${STREAM_IDLE_TIMEOUT_SECONDS:-600}
# A donor that vanished without closing the connection (its node lost, its network cut) is
# given up after about this long, by TCP keepalive on the receiving socket: half of it idle,
# then 6 unanswered probes: 60 s + 6 x 10 s. Only tests shorten it, through
# STREAM_DEAD_PEER_TIMEOUT_SECONDS; the component never sets that.
readonly STREAM_DEAD_PEER_SECONDS=${STREAM_DEAD_PEER_TIMEOUT_SECONDS:-120}

# State kept in the data volume. Dot-files: the server and the backup tools ignore them, so a
# donor's state never travels inside a clone.
readonly INIT_STARTED=$DATA_DIR/.pod-init-started              # pod 0: initialisation under way
readonly INIT_MARKER=$DATA_DIR/.pod-init-complete              # pod 0: datadir and accounts ready
readonly CLONE_STAGING=$DATA_DIR/.pod-clone-staging            # replica: backup being received
readonly CLONE_MARKER=$DATA_DIR/.pod-clone-complete            # replica: clone received and prepared
readonly REPLICATION_PENDING=$DATA_DIR/.pod-replication-pending # replica: GTID position, until replication is set up

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
  "$ENGINE_ADMIN" --socket="$SOCKET" --connect-timeout=2 ping >/dev/null 2>&1
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

# The byte mover between peers: socat (which the official mariadb image ships) or ncat (as
# in the tutorial's image). Sets TRANSFER_TOOL, or fails naming both.
choose_transfer_tool() {
  local tool
  [[ $STREAM_IDLE_SECONDS =~ ^[1-9][0-9]{0,5}$ ]] ||
    die "STREAM_IDLE_TIMEOUT_SECONDS must be a whole number of seconds from 1 to 999999, not '$STREAM_IDLE_SECONDS'"
  if ! [[ $STREAM_DEAD_PEER_SECONDS =~ ^[1-9][0-9]{1,5}$ ]] || ((STREAM_DEAD_PEER_SECONDS < 12)); then
    die "STREAM_DEAD_PEER_TIMEOUT_SECONDS must be a whole number of seconds from 12 to 999999, not '$STREAM_DEAD_PEER_SECONDS'"
  fi
  # socat first: with 1 MiB buffers it streams faster than ncat (docs/benchmarks.md).
  for tool in socat ncat; do
    if command -v "$tool" >/dev/null 2>&1; then
      TRANSFER_TOOL=$tool
      return 0
    fi
  done
  die "missing tool(s) in this image: ncat or socat (one is needed to stream backups between pods)"
}

# Reads "$ENGINE_SQL_REPLICA_STATUS\G" on stdin; true when both replication threads run.
engine_replication_threads_running() {
  local status
  status=$(cat)
  [[ $status =~ ${ENGINE_REPLICA_STATUS_FIELD_PREFIX}_IO_Running:\ Yes &&
    $status =~ ${ENGINE_REPLICA_STATUS_FIELD_PREFIX}_SQL_Running:\ Yes ]]
}

# Streams a full backup of the local server as xbstream to stdout; $1 is a scratch dir.
# --parallel=4: table files are read concurrently, overlapping reads with the stream
# (measured with mariabackup in docs/benchmarks.md; XtraBackup 8.4 documents the same
# option for streamed backups, not measured here).
engine_stream_backup() {
  "$ENGINE_BACKUP" --defaults-extra-file="$BACKUP_OPTION_FILE" --socket="$SOCKET" --backup \
    --slave-info --stream=xbstream --parallel=4 --datadir="$DATA_DIR" --target-dir="$1"
}

# Applies the redo log to a received backup in $1 so it can be used as a datadir.
engine_prepare_backup() {
  "$ENGINE_BACKUP" --prepare --target-dir="$1" >&2
}

# Runs `command [args...]` with its standard input reading what host:port sends, and
# succeeds only if both the transfer and the command do. Connecting gives up after 10 s.
# - socat (preferred): socat connects, then execs the command on the socket itself (EXEC
#   with nofork), so no relay process copies every byte a second time: 1.05 x a plain file
#   copy instead of 1.49 x with a relay, side by side in one run (docs/benchmarks.md).
#   socat's own idle timeout cannot act once socat has become the command, so TCP
#   keepalive ends a connection whose peer vanished (STREAM_DEAD_PEER_SECONDS, 2 min)
#   and the donor's socat ends a stream idle for 10 min (serve_stream).
# - ncat: ncat | command; a peer that sends nothing for 10 min counts as failed.
receive_stream_into() {
  local host=$1 port=$2 arg
  shift 2
  (($# > 0)) || die "receive_stream_into: no command to receive into"
  case $TRANSFER_TOOL in
    ncat)
      ncat --recv-only --wait 10s --idle-timeout "${STREAM_IDLE_SECONDS}s" "$host" "$port" | "$@"
      local status=("${PIPESTATUS[@]}")
      ((status[0] == 0 && status[1] == 0))
      ;;
    socat)
      # EXEC splits its command line at spaces and gives , : ! \ ' " a meaning of their own.
      for arg in "$@"; do
        [[ $arg =~ ^[A-Za-z0-9_./=+-]+$ ]] ||
          die "receive_stream_into: argument '$arg' holds characters socat's EXEC cannot pass"
      done
      local keepalive="keepalive,keepidle=$((STREAM_DEAD_PEER_SECONDS / 2)),keepintvl=$((STREAM_DEAD_PEER_SECONDS / 12)),keepcnt=6"
      socat -u "TCP:$host:$port,connect-timeout=10,$keepalive" "EXEC:$*,nofork"
      ;;
  esac
}

# Serves forever on port: each connection, one at a time, gets the output of `bash <command...>`.
serve_stream() {
  local port=$1 command
  shift
  printf -v command '%q ' bash "$@"
  case $TRANSFER_TOOL in
    ncat) exec ncat --listen --keep-open --send-only --max-conns=1 "$port" -c "$command" ;;
    # -U: bytes flow from the command to the client only; max-children=1 as ncat's max-conns;
    # -T: a stream the command leaves idle for 10 min is closed, so the receiver (which
    # has no idle timeout of its own with socat, see receive_stream_into) fails and retries.
    socat) exec socat -b 1048576 -U -T "$STREAM_IDLE_SECONDS" "TCP-LISTEN:$port,reuseaddr,fork,max-children=1" "SYSTEM:${command% }" ;;
  esac
}

# Runs the client as root over TCP on the pod's loopback, as an application would connect.
root_client_tcp() {
  write_client_option_file "$ROOT_OPTION_FILE" root "$MYSQL_ROOT_PASSWORD"
  "$ENGINE_CLIENT" --defaults-extra-file="$ROOT_OPTION_FILE" --protocol=TCP --host=127.0.0.1 \
    --port="$SERVER_PORT" --connect-timeout=5 --batch --skip-column-names "$@"
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

# Writes a state file through a rename and flushes it, so it exists whole or not at all.
write_state_file() {
  local path=$1 content=$2 tmp
  tmp=$(mktemp "$path.XXXXXX") || return 1
  printf '%s\n' "$content" >"$tmp" || return 1
  sync
  mv -f "$tmp" "$path" || return 1
  sync
}

# Reads xtrabackup_binlog_info: "<file> <position> [<GTID set>]". The GTID column may go on
# over further lines (MySQL prints long sets one source per line); they are joined.
# Sets BINLOG_FILE, BINLOG_POS, BINLOG_GTID, or fails naming the file.
read_binlog_info() {
  local path=$1 line rest=""
  BINLOG_FILE="" BINLOG_POS="" BINLOG_GTID=""
  {
    IFS=$' \t' read -r BINLOG_FILE BINLOG_POS BINLOG_GTID || true
    while IFS= read -r line || [[ -n $line ]]; do
      rest+=$line
    done
  } <"$path"
  BINLOG_GTID=$BINLOG_GTID$rest
  BINLOG_GTID=${BINLOG_GTID//[[:space:]]/}
  [[ -n $BINLOG_FILE && $BINLOG_POS =~ ^[0-9]+$ ]] ||
    die "malformed $path: expected '<binlog file> <position> [<GTID set>]', found '$(head -c 200 "$path")'"
}

# GTID state of a received backup in $1, for the engine's replication set-up. From a replica
# donor: the GTID variable its xtrabackup_slave_info sets. From the primary: the third column
# of xtrabackup_binlog_info. Fails naming the file when neither gives one.
clone_position() {
  local dir=$1 info="" position
  [[ -f $dir/xtrabackup_slave_info ]] && info=$(<"$dir/xtrabackup_slave_info")
  if [[ $info =~ ${ENGINE_SLAVE_INFO_GTID_VARIABLE}[[:space:]]*=[[:space:]]*\'([^\']*)\' ]]; then
    position=${BASH_REMATCH[1]}
  elif [[ -n $info && ! $info =~ $ENGINE_SLAVE_INFO_FILE_OPTION ]]; then
    die "malformed $dir/xtrabackup_slave_info: neither $ENGINE_SLAVE_INFO_GTID_VARIABLE nor $ENGINE_SLAVE_INFO_FILE_OPTION in '${info:0:200}'"
  elif [[ -f $dir/xtrabackup_binlog_info ]]; then
    # No slave_info (the donor is the primary), or its file/position form, which the tool
    # writes when the donor has applied no GTID yet: the donor's binlog GTID state is exact.
    read_binlog_info "$dir/xtrabackup_binlog_info"
    position=$BINLOG_GTID
  elif [[ -n $info ]]; then
    die "$dir/xtrabackup_slave_info has a file/position and there is no xtrabackup_binlog_info: no $ENGINE_GTID_NOUN to start from"
  else
    die "clone metadata missing: neither xtrabackup_slave_info nor xtrabackup_binlog_info in $dir"
  fi
  position=${position//[[:space:]]/}
  engine_valid_position "$position" || die "malformed $ENGINE_GTID_NOUN '$position' in the clone metadata of $dir"
  printf '%s\n' "$position"
}
