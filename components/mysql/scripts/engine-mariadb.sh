# shellcheck shell=bash
# shellcheck disable=SC2034 # the ENGINE_* names are used by the scripts that source this file
# Engine: MariaDB (10.11 LTS: mariadbd, mariabackup). Sourced by lib.sh's load_engine.
# Everything that differs from engine-mysql.sh is here: program names, account SQL, the
# replication SQL, how the local admin connects, and how a replica is seeded: MariaDB has
# no CLONE statement, so the previous pod's clone-server sidecar (serve-backups.sh) streams
# a mariabackup backup on $CLONE_PORT, which clone-from-peer receives, prepares and reads
# the GTID position of.
#
# Read-only replicas: MariaDB has no super_read_only, and read_only does not bind accounts
# holding READ_ONLY ADMIN. So no password account has it (root's is revoked, on every pod,
# since replicas are clones of pod 0); replica.cnf sets read_only. The clone-server sidecar
# needs it to set gtid_slave_pos under read_only: it connects as the local admin, account
# 'mysql'@'localhost', identified by unix_socket (the OS user the containers run as, through
# the server socket only, never over the network) with only READ_ONLY ADMIN, REPLICATION
# SLAVE ADMIN, SLAVE MONITOR and SHUTDOWN.

readonly ENGINE_SERVER=mariadbd
readonly ENGINE_CLIENT=mariadb
readonly ENGINE_ADMIN=mariadb-admin
readonly ENGINE_BACKUP=mariabackup
readonly ENGINE_XBSTREAM=mbstream
readonly ENGINE_INIT_TOOLS=(mariadb-install-db mariadbd mariadb mariadb-admin)
# The other engine's datadir, told by a file only it makes (refuse_foreign_data_dir): the
# data dictionary tablespace of MySQL 8.0 and newer; MariaDB keeps its dictionary in .frm files.
readonly ENGINE_FOREIGN_DATADIR_SIGNS=(mysql.ibd)
readonly ENGINE_FOREIGN_NAME="MySQL 8.0 or newer"
readonly ENGINE_NAME=MariaDB
# What clone-from-peer needs besides the shared tools (a transfer tool is checked apart).
readonly ENGINE_CLONE_TOOLS=(mkdir du grep mbstream mariabackup)
readonly ENGINE_SQL_START_REPLICA="START SLAVE"
readonly ENGINE_SQL_REPLICA_STATUS="SHOW SLAVE STATUS"
readonly ENGINE_REPLICA_STATUS_FIELD_PREFIX=Slave   # Slave_IO_Running, Slave_SQL_Running
# How xtrabackup_slave_info names the GTID state of a replica donor, and its file/position
# form; what a GTID state is called here (read by lib.sh clone_position).
readonly ENGINE_SLAVE_INFO_GTID_VARIABLE=gtid_slave_pos
readonly ENGINE_SLAVE_INFO_FILE_OPTION=MASTER_LOG_FILE
readonly ENGINE_GTID_NOUN="GTID position"
readonly LOCAL_ADMIN_USER=mysql
readonly BACKUP_OPTION_FILE=$RUN_DIR/backup.cnf
# A backup stream that carries nothing for this long is cut: 10 min. Only the transfer's
# tests shorten it, through STREAM_IDLE_TIMEOUT_SECONDS; the component never sets that.
readonly STREAM_IDLE_SECONDS=${STREAM_IDLE_TIMEOUT_SECONDS:-600}
# A donor that vanished without closing the connection (its node lost, its network cut) is
# given up after about this long, by TCP keepalive on the receiving socket: half of it idle,
# then 6 unanswered probes: 60 s + 6 x 10 s. Only tests shorten it, through
# STREAM_DEAD_PEER_TIMEOUT_SECONDS; the component never sets that.
readonly STREAM_DEAD_PEER_SECONDS=${STREAM_DEAD_PEER_TIMEOUT_SECONDS:-120}

# Runs the client as the local admin on the server socket; arguments go to the client.
engine_local_admin_client() {
  local socket=${LOCAL_ADMIN_SOCKET:-$SOCKET}
  [[ $(id -un 2>/dev/null) == "$LOCAL_ADMIN_USER" ]] ||
    die "the local admin account authenticates the OS user '$LOCAL_ADMIN_USER' by unix_socket: run this container as that user (now uid $(id -u))"
  "$ENGINE_CLIENT" --no-defaults --user="$LOCAL_ADMIN_USER" --socket="$socket" --batch --skip-column-names "$@"
}

# Accounts of a new cluster, applied once on pod 0. Not binary-logged: replicas get them
# inside the clone.
engine_bootstrap_sql() {
  local root_pw repl_account repl_pw backup_account backup_pw metrics_account metrics_pw
  root_pw=$(sql_string "$MYSQL_ROOT_PASSWORD")
  repl_account=$(sql_string "$REPLICATION_USER")
  repl_pw=$(sql_string "$REPLICATION_PASSWORD")
  backup_account=$(sql_string "$BACKUP_USER")
  backup_pw=$(sql_string "$BACKUP_PASSWORD")
  metrics_account=$(sql_string "$METRICS_USER")
  metrics_pw=$(sql_string "$METRICS_PASSWORD")
  cat <<SQL
SET SESSION sql_log_bin = 0;
DELETE FROM mysql.global_priv WHERE User = '';
ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD($root_pw);
CREATE USER 'root'@'%' IDENTIFIED BY $root_pw;
GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;
REVOKE READ_ONLY ADMIN ON *.* FROM 'root'@'localhost', 'root'@'%';
CREATE USER $repl_account@'%' IDENTIFIED BY $repl_pw;
GRANT REPLICATION SLAVE ON *.* TO $repl_account@'%';
CREATE USER $backup_account@'localhost' IDENTIFIED BY $backup_pw;
GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, SLAVE MONITOR ON *.* TO $backup_account@'localhost';
CREATE USER $metrics_account@'localhost' IDENTIFIED BY $metrics_pw WITH MAX_USER_CONNECTIONS 3;
GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO $metrics_account@'localhost';
GRANT SELECT ON performance_schema.* TO $metrics_account@'localhost';
DROP USER '$LOCAL_ADMIN_USER'@'localhost';
CREATE USER '$LOCAL_ADMIN_USER'@'localhost' IDENTIFIED VIA unix_socket;
GRANT READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, SLAVE MONITOR, SHUTDOWN ON *.* TO '$LOCAL_ADMIN_USER'@'localhost';
FLUSH PRIVILEGES;
SQL
}

# Creates the system tables, then applies the accounts through a server that listens on a
# private socket only; the installer's accounts use unix_socket, so no empty password exists.
engine_initialize_datadir() {
  local boot_socket=$RUN_DIR/bootstrap.sock boot_pid
  mariadb-install-db --defaults-file="$SERVER_CONFIG" --datadir="$DATA_DIR" --skip-test-db --skip-name-resolve \
    --auth-root-authentication-method=socket --auth-root-socket-user="$LOCAL_ADMIN_USER" >&2
  mariadbd --defaults-file="$SERVER_CONFIG" --skip-networking --skip-slave-start --socket="$boot_socket" \
    --pid-file="$RUN_DIR/bootstrap.pid" &
  boot_pid=$!
  local start=$SECONDS
  until "$ENGINE_ADMIN" --no-defaults --socket="$boot_socket" --connect-timeout=2 ping >/dev/null 2>&1; do
    kill -0 "$boot_pid" 2>/dev/null || die "bootstrap server exited during initialisation"
    ((SECONDS - start < 120)) || die "bootstrap server did not answer within 120s"
    # 0.1 s: pod 0's first start waits on this loop (docs/benchmarks.md, bring-up).
    sleep 0.1
  done
  if ! engine_bootstrap_sql | LOCAL_ADMIN_SOCKET=$boot_socket engine_local_admin_client; then
    kill "$boot_pid"
    wait "$boot_pid" || true
    die "creating the accounts failed"
  fi
  LOCAL_ADMIN_SOCKET=$boot_socket engine_local_admin_client -e "SHUTDOWN"
  wait "$boot_pid" || die "bootstrap server did not shut down cleanly"
}

engine_valid_position() {
  local gtid='[0-9]+-[0-9]+-[0-9]+'
  [[ -z $1 || $1 =~ ^$gtid(,$gtid)*$ ]]
}

# SQL that points a freshly cloned replica at the primary $2 from GTID position $1, without
# starting it (the caller records that the set-up is done, then starts replication).
engine_replication_setup_sql() {
  local position=$1 source_host=$2
  engine_valid_position "$position" || die "malformed GTID position '$position'"
  cat <<SQL
STOP SLAVE;
SET GLOBAL gtid_slave_pos = $(sql_string "$position");
CHANGE MASTER TO MASTER_HOST = $(sql_string "$source_host"), MASTER_PORT = $SERVER_PORT, MASTER_USER = $(sql_string "$REPLICATION_USER"), MASTER_PASSWORD = $(sql_string "$REPLICATION_PASSWORD"), MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 10;
SQL
}

# Extra server options for a start of this pod: a replica whose fresh clone has no
# replication set up yet starts with replication stopped, so no stale replication settings
# inside the clone run before serve-backups.sh has set the position.
engine_server_options() {
  if ((ORDINAL > 0)) && [[ -f $REPLICATION_PENDING ]]; then
    log "replication not set up yet: starting the server with replication stopped"
    printf '%s\n' --skip-slave-start
  fi
}

# The port a donor serves clones on: its clone-server sidecar's.
engine_donor_port() { printf '%s' "$CLONE_PORT"; }

# Checks what receiving a backup stream needs, before the first attempt.
engine_prepare_clone() {
  require_env CLONE_PORT
  [[ $CLONE_PORT =~ ^[0-9]+$ ]] || die "CLONE_PORT '$CLONE_PORT' is not a port number"
  choose_transfer_tool
}

# One clone attempt into the new directory $1 from the donor pod $2: receives a backup
# stream from $2:$CLONE_PORT, checks it is complete, prepares it, and records the GTID
# position to replicate from in $1/.pod-replication-pending (it becomes $REPLICATION_PENDING
# when $1 is moved into place). Returns 1 when a retry may succeed; malformed metadata is
# final (a retry would fetch the same), so it exits.
engine_clone_into() {
  local staging=$1 donor=$2 started_us=${EPOCHREALTIME//[!0-9]/} bytes elapsed_ms position
  mkdir "$staging" || return 1
  # --parallel=2: files are written by two threads while the stream is read (measured in
  # docs/benchmarks.md).
  if ! receive_stream_into "$donor" "$CLONE_PORT" "$ENGINE_XBSTREAM" -x --parallel=2 -C "$staging"; then
    log "receiving from $donor:$CLONE_PORT failed"
    return 1
  fi
  # mariabackup streams xtrabackup_checkpoints and then xtrabackup_info after all data.
  if ! grep -qs '^backup_type = full-backuped' "$staging/xtrabackup_checkpoints" ||
    [[ ! -f $staging/xtrabackup_info ]]; then
    log "the stream from $donor:$CLONE_PORT ended before a complete backup"
    return 1
  fi
  bytes=$(du -sb "$staging" | { read -r size _ && printf '%s' "$size"; })
  elapsed_ms=$(((${EPOCHREALTIME//[!0-9]/} - started_us) / 1000))
  log "received $bytes bytes from $donor in ${elapsed_ms} ms ($((bytes / 1000 / (elapsed_ms + 1))) MB/s)"
  position=$(clone_position "$staging") || exit 1
  if ! engine_prepare_backup "$staging"; then
    log "preparing the backup failed"
    return 1
  fi
  write_state_file "$staging/$(basename "$REPLICATION_PENDING")" "$position" || return 1
  CLONE_DESCRIPTION="GTID position '$position'"
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

# Streams a full backup of the local server as xbstream to stdout; $1 is a scratch dir.
# --parallel=4: table files are read concurrently, overlapping reads with the stream
# (measured in docs/benchmarks.md). --defaults-file: the backup account's option file and
# nothing of the image's (mariabackup takes one defaults option only); what it needs of the
# server's settings, the socket and the datadir, is given here, and server.cnf sets no
# InnoDB file layout, so the defaults it assumes are the server's.
engine_stream_backup() {
  "$ENGINE_BACKUP" --defaults-file="$BACKUP_OPTION_FILE" --socket="$SOCKET" --backup \
    --slave-info --stream=xbstream --parallel=4 --datadir="$DATA_DIR" --target-dir="$1"
}

# Applies the redo log to a received backup in $1 so it can be used as a datadir.
engine_prepare_backup() {
  "$ENGINE_BACKUP" --no-defaults --prepare --target-dir="$1" >&2
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

# ---- Replica health (probe.sh, run-mysqld.sh) ---------------------------------------------

# What the primary has committed: its binary log's GTID position (one GTID per domain).
readonly ENGINE_SQL_PRIMARY_POSITION="SELECT @@GLOBAL.gtid_binlog_pos"
# The receiver's error when the primary purged binary logs the replica still needs.
readonly ENGINE_PURGED_ERROR_PATTERN="Last_IO_Errno: 1236"$'\n'"[[:space:]]*Last_IO_Error: [^"$'\n'"]*Could not find GTID state requested by slave in any binlog files"

# Nothing beyond Last_SQL_Error, which names the failing statement's error itself.
engine_applier_error_detail() { :; }

# Per pod: a replica logs what it does of its own (FLUSH TABLES, FLUSH PRIVILEGES, REPAIR
# TABLE: statements read_only lets through) in a GTID domain of its own, numbered like its
# server_id. In the primary's domain 0 such a GTID took the next sequence number, and under
# gtid_strict_mode the primary's next transaction then stopped replication for good (error
# 1950). Replicated transactions keep the domain they came with.
engine_pod_config() {
  ((ORDINAL > 0)) || return 0
  printf '# Whatever this replica logs of its own never collides with the primary'"'"'s domain 0.\ngtid_domain_id = %d\n' "$((SERVER_ID_BASE + ORDINAL))"
}

# SQL returning 0 once this replica has applied GTID position $1, -1 after $2 seconds without.
engine_sql_wait_for_position() {
  printf 'SELECT MASTER_GTID_WAIT(%s, %d)' "$(sql_string "$1")" "$2"
}

# Prints the transactions the server on host $1 logged that did not come from the primary,
# as GTIDs separated by commas (empty when there are none): the entries of its binary log
# state whose server_id is not the primary's. Every transaction the primary originates
# carries its server_id, and a replica keeps that id when it logs what it applies. ($2, the
# primary's position, is not needed: the server_id tells the origin.)
engine_own_transactions() {
  local state entry own=()
  local -a entries
  state=$(root_client_at "$1" -e "SELECT @@GLOBAL.gtid_binlog_state") || return 1
  IFS=, read -ra entries <<<"${state//[[:space:]]/}"
  for entry in "${entries[@]}"; do
    [[ $entry =~ ^[0-9]+-([0-9]+)-[0-9]+$ && ${BASH_REMATCH[1]} != "$SERVER_ID_BASE" ]] && own+=("$entry")
  done
  local IFS=,
  printf '%s' "${own[*]}"
}

# What a server's own GTIDs carry, and how a GTID ("<domain>-<server_id>-<sequence>") names it.
readonly ENGINE_SQL_GTID_ORIGIN="SELECT @@GLOBAL.server_id"
readonly ENGINE_GTID_ORIGIN_PATTERN='^[0-9]+-([0-9]+)-'

# Nothing at the first start of a clone: a backup carries no binary log, and replication
# starts from the GTID position of the donor's replication (gtid_slave_pos), never from what
# the donor logged of its own.
engine_first_start_sql() { :; }

# On a replica whose fresh clone has no replication set up yet (.pod-replication-pending):
# sets the clone's GTID position and the primary as source, removes the file, and starts
# replication. $1 says who calls:
# - sidecar: the clone-server sidecar at its start (after the clone the init container made);
#   it waits for a set-up under way and marks, when done, that it will not do it again
#   until it restarts;
# - probe: the readiness probe, after a clone that the mysql container made itself
#   (run-mysqld.sh), which the running sidecar does not see. It acts only once the sidecar
#   has marked itself done, so the two never set up the same clone.
# A lock directory in the pod's /run/mysqld keeps them apart; one left by a killed probe is
# broken after a minute.
engine_apply_pending_replication() {
  local caller=$1 lock=$RUN_DIR/replication-setup.lock done_mark=$RUN_DIR/clone-server-ready position waited=0
  if [[ $caller == probe ]]; then
    [[ -f $REPLICATION_PENDING && -f $done_mark ]] || return 0
  fi
  while ! mkdir "$lock" 2>/dev/null; do
    [[ $caller == sidecar ]] || return 0
    if [[ -n $(find "$lock" -maxdepth 0 -mmin +1 2>/dev/null) ]]; then
      rmdir "$lock" 2>/dev/null || true
    fi
    ((waited++ < 1200)) || die "replication set-up lock $lock held for 2 minutes"
    sleep 0.1
  done
  if [[ -f $REPLICATION_PENDING ]]; then
    require_env REPLICATION_USER REPLICATION_PASSWORD
    position=$(<"$REPLICATION_PENDING")
    if ! engine_replication_setup_sql "$position" "$(primary_host)" | engine_local_admin_client; then
      rmdir "$lock"
      return 1
    fi
    rm -f "$REPLICATION_PENDING"
    sync "$DATA_DIR"
    log "replication from $(primary_host) set up at GTID position '$position'"
  fi
  rmdir "$lock"
  engine_local_admin_client -e "$ENGINE_SQL_START_REPLICA"
  [[ $caller != sidecar ]] || : >"$done_mark"
}
