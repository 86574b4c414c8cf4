# shellcheck shell=bash
# shellcheck disable=SC2034 # the ENGINE_* names are used by the scripts that source this file
# Engine: MySQL (9.7 LTS, and 8.4 LTS with the same statements). Sourced by lib.sh's
# load_engine. Everything that differs from engine-mariadb.sh is here: program names,
# account SQL, the replication SQL (SOURCE/REPLICA syntax only: 8.4 removed the older
# forms), and how a replica is seeded: with the CLONE plugin, over the normal authenticated
# port 3306 with TLS, from the previous pod. Nothing else listens; there is no sidecar.
#
# Read-only replicas: replica.cnf sets super_read_only, which binds root too. Replication is
# configured by the server's own --init-file at every start of a replica (bootstrap session,
# before the server accepts connections), so no client ever needs to lift super_read_only.

readonly ENGINE_SERVER=mysqld
readonly ENGINE_CLIENT=mysql
readonly ENGINE_ADMIN=mysqladmin
readonly ENGINE_INIT_TOOLS=(mysqld mktemp find sync)
# The other engine's datadir, told by a file only it makes (refuse_foreign_data_dir):
# MariaDB's Aria control file, made at its first start; MySQL has no Aria engine.
readonly ENGINE_FOREIGN_DATADIR_SIGNS=(aria_log_control)
readonly ENGINE_FOREIGN_NAME=MariaDB
readonly ENGINE_NAME=MySQL
# What clone-from-peer needs besides the shared tools.
readonly ENGINE_CLONE_TOOLS=(mysqld)
readonly ENGINE_SQL_REPLICA_STATUS="SHOW REPLICA STATUS"
readonly ENGINE_REPLICA_STATUS_FIELD_PREFIX=Replica # Replica_IO_Running, Replica_SQL_Running
# SQL run by a replica's server at each start (written by engine_server_options).
readonly REPLICA_INIT_FILE=$RUN_DIR/replica-init.sql
# TLS and RSA key files a server generates in its datadir at first start when they are
# missing. A DATA DIRECTORY clone carries none of them (MySQL manual, "Cloning to a Named
# Directory"); the throw-away recipient has made a set, which the clone keeps.
readonly MYSQL_KEY_FILES=(ca.pem ca-key.pem server-cert.pem server-key.pem client-cert.pem client-key.pem private_key.pem public_key.pem)

# Runs the client as root on the server socket; arguments go to the client.
engine_local_admin_client() {
  write_client_option_file "$ROOT_OPTION_FILE" root "$MYSQL_ROOT_PASSWORD"
  "$ENGINE_CLIENT" --defaults-file="$ROOT_OPTION_FILE" --socket="$SOCKET" --batch --skip-column-names "$@"
}

# Accounts of a new cluster, applied once on pod 0 while the datadir is initialised. Not
# binary-logged: replicas get them inside the clone. The clone donor account has
# BACKUP_ADMIN only (all a donor needs) and must use TLS.
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
ALTER USER 'root'@'localhost' IDENTIFIED BY $root_pw;
CREATE USER 'root'@'%' IDENTIFIED BY $root_pw;
GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;
CREATE USER $repl_account@'%' IDENTIFIED BY $repl_pw;
GRANT REPLICATION SLAVE ON *.* TO $repl_account@'%';
CREATE USER $backup_account@'%' IDENTIFIED BY $backup_pw REQUIRE SSL;
GRANT BACKUP_ADMIN ON *.* TO $backup_account@'%';
CREATE USER $metrics_account@'localhost' IDENTIFIED BY $metrics_pw WITH MAX_USER_CONNECTIONS 3;
GRANT PROCESS, REPLICATION CLIENT ON *.* TO $metrics_account@'localhost';
GRANT SELECT ON performance_schema.* TO $metrics_account@'localhost';
SQL
}

# Runtime options for pod 0's one `mysqld --initialize`, which only writes a new datadir:
# no fsync while it runs (engine_initialize_datadir syncs the tree before run-mysqld.sh writes
# the marker; an interrupted run is wiped and redone), no zero-filling of new files, no
# dedicated redo log writer threads (they cost more than they give on 2 cores). None of them
# is stored in the datadir; every later start reads only server.cnf. The throw-away clone
# recipient runs with them too (engine_clone_into). Measured side by side on MySQL 9.7.4:
# 3.39 s against 4.43 s per initialisation (docs/benchmarks.md). All exist since 8.0.22.
readonly MYSQL_BOOTSTRAP_OPTIONS=(--innodb-flush-method=nosync --innodb-extend-and-initialize=OFF
  --innodb-log-writer-threads=OFF --innodb-flush-log-at-trx-commit=0 --sync-binlog=0)

# Runs `mysqld --initialize` on datadir $1 with our server config and MYSQL_BOOTSTRAP_OPTIONS,
# then the SQL of file $2 in the same process (--init-file), before any connection can be
# made: the server does not listen during --initialize. Its log (which holds the random
# initial root password that --initialize prints, of an account the SQL then changes or that
# no one can reach) goes to $3, and only its errors are shown.
mysql_initialize_with() {
  local datadir=$1 sql=$2 log_file=$3 status=0
  mysqld --defaults-file="$SERVER_CONFIG" --datadir="$datadir" --log-error="$log_file" \
    "${MYSQL_BOOTSTRAP_OPTIONS[@]}" --initialize --init-file="$sql" || status=$?
  ((status == 0)) || grep -E '\[ERROR\]' "$log_file" >&2 || true
  return "$status"
}

# Initialises the datadir and applies the accounts in the same run (--init-file), before any
# server accepts a connection: root never has a password anyone else knows. The files are
# synced before it returns (the bootstrap itself does not fsync).
engine_initialize_datadir() {
  local init_file status=0
  init_file=$(mktemp /tmp/bootstrap.XXXXXX.sql)
  engine_bootstrap_sql >"$init_file"
  mysql_initialize_with "$DATA_DIR" "$init_file" /tmp/initialize.log || status=$?
  rm -f "$init_file" /tmp/initialize.log
  ((status == 0)) || die "mysqld --initialize failed with status $status"
  sync_tree "$DATA_DIR"
}

# SQL a replica's server runs at each start (--init-file): CHANGE REPLICATION SOURCE to the
# primary $1 with auto-positioning over TLS, then START REPLICA. A clone from the primary
# carries no channel, one from a replica carries that replica's: both end the same way.
engine_replica_init_sql() {
  local source_host=$1
  cat <<SQL
STOP REPLICA;
CHANGE REPLICATION SOURCE TO SOURCE_HOST = $(sql_string "$source_host"), SOURCE_PORT = $SERVER_PORT, SOURCE_USER = $(sql_string "$REPLICATION_USER"), SOURCE_PASSWORD = $(sql_string "$REPLICATION_PASSWORD"), SOURCE_AUTO_POSITION = 1, SOURCE_SSL = 1, SOURCE_CONNECT_RETRY = 10;
START REPLICA;
SQL
}

# Extra server options for a start of this pod. A replica (re)configures replication at
# every start through --init-file (engine_replica_init_sql); replica.cnf sets
# skip_replica_start, so nothing replicates before that has run. The file is rewritten at
# each start (mode 0600, in the pod's memory-backed /run/mysqld), so a changed password
# applies on restart.
engine_server_options() {
  ((ORDINAL > 0)) || return 0
  local tmp primary_gtids
  tmp=$(mktemp "$REPLICA_INIT_FILE.XXXXXX")
  # The first start of a clone: the server has not written a binary log yet.
  if [[ ! -f $DATA_DIR/mysql-bin.index ]]; then
    primary_gtids=$(primary_position) ||
      die "first start of a clone: cannot ask the primary $(primary_host) for its GTID set"
    log "first start of a clone: keeping only the GTIDs the primary has, none the donor logged of its own"
    engine_first_start_sql "$primary_gtids" >"$tmp"
  fi
  engine_replica_init_sql "$(primary_host)" >>"$tmp"
  mv -f "$tmp" "$REPLICA_INIT_FILE"
  printf '%s\n' "--init-file=$REPLICA_INIT_FILE"
}

# SQL of the throw-away recipient: load the plugin (--initialize loads none), allow only
# donor $2 and clone it over TLS into directory $1; then write file $3, which the server
# reaches only when the CLONE succeeded (an init-file stops at its first error).
# --initialize ignores secure_file_priv, so the file may be anywhere the server can write.
mysql_clone_sql() {
  local staging=$1 donor=$2 done_file=$3
  cat <<SQL
INSTALL PLUGIN clone SONAME 'mysql_clone.so';
SET GLOBAL clone_valid_donor_list = $(sql_string "$donor:$SERVER_PORT");
CLONE INSTANCE FROM $(sql_string "$BACKUP_USER")@$(sql_string "$donor"):$SERVER_PORT IDENTIFIED BY $(sql_string "$BACKUP_PASSWORD") DATA DIRECTORY = $(sql_string "$staging") REQUIRE SSL;
SELECT 'cloned' INTO DUMPFILE $(sql_string "$done_file");
SQL
}

# Configuration of the throw-away recipient whose work directory is $1. It only has to run
# the bootstrap and one CLONE, then its datadir is deleted, so nothing in it needs to be
# durable. Measured on 2 shared cores against the plain minimal server (docs/benchmarks.md):
# redo large enough that the bootstrap never waits for a checkpoint, no doublewrite, and on
# the command line MYSQL_BOOTSTRAP_OPTIONS (no zero-filling of new files, no fsync, no
# dedicated log writer threads). The clone's own files are flushed by sync_tree before they count. Notes are logged
# (verbosity 3) for mysql_recipient_phases.
mysql_recipient_config() {
  local work=$1
  cat <<CNF
[mysqld]
socket = $work/recipient.sock
pid-file = $work/recipient.pid
skip-networking
mysqlx = OFF
skip-log-bin
performance_schema = OFF
innodb_buffer_pool_size = 16M
innodb_redo_log_capacity = 64M
innodb_doublewrite = OFF
log_error_verbosity = 3
CNF
}

# Prints how a recipient run spent its time, from its error log $1 (UTC timestamps) and the
# epoch milliseconds when it was launched ($2), when its CLONE had succeeded ($3: the file
# of mysql_clone_sql appeared) and when it had ended ($4): initialise (launch to the end of
# the bootstrap, error code MY-010456: codes, unlike message texts, are stable across
# versions), clone (to $3), stop (to $4).
mysql_recipient_phases() {
  local log_file=$1 launched=$2 cloned=$3 ended=$4 line bootstrapped=""
  while IFS= read -r line; do
    [[ $line == *"[MY-010456]"* ]] && bootstrapped=$(date -u -d "${line%% *}" +%s%3N)
  done <"$log_file"
  if [[ -z $bootstrapped ]]; then
    printf 'recipient ran %s s (no end of bootstrap in its log)' "$(milliseconds_as_seconds $((ended - launched)))"
    return
  fi
  printf 'recipient initialised in %s s, cloned in %s s, stopped in %s s' \
    "$(milliseconds_as_seconds $((bootstrapped - launched)))" \
    "$(milliseconds_as_seconds $((cloned - bootstrapped)))" \
    "$(milliseconds_as_seconds $((ended - cloned)))"
}

# Prints milliseconds $1 (>= 0) as seconds with two decimals.
milliseconds_as_seconds() {
  local ms=$(($1 < 0 ? 0 : $1))
  printf '%d.%02d' $((ms / 1000)) $((ms % 1000 / 10))
}

# The port a donor serves clones on: the server's own.
engine_donor_port() { printf '%s' "$SERVER_PORT"; }

# Before the first attempt: throw-away recipients of attempts that were killed with their
# container leave their files in the pod's /tmp.
engine_prepare_clone() {
  rm -rf /tmp/clone-recipient.*
}

# One clone attempt into the directory $1 (inside the data volume; CLONE creates it and
# refuses one that exists) from the donor pod $2, with the CLONE plugin. The recipient is a
# throw-away server that exists only for the length of one `mysqld --initialize` run on /tmp:
# its --init-file loads the plugin, allows only $2 as donor, runs CLONE INSTANCE ... DATA
# DIRECTORY = $1 REQUIRE SSL, and then writes a file of ours, which it reaches only when the
# CLONE succeeded. No recipient server is ever started on its own, nor listens, and the live
# datadir is never the target. Once that file exists the recipient has nothing left to do
# for us, so it is killed rather than left to stop (0.5-1.2 s measured): its datadir is
# deleted and the clone's files are flushed by sync_tree. Logs how long the recipient took
# to initialise, to clone and to end. Returns 1 when a retry may succeed.
engine_clone_into() {
  local staging=$1 donor=$2 work status=0 file launched cloned="" pid
  work=$(mktemp -d /tmp/clone-recipient.XXXXXX) || return 1
  mysql_recipient_config "$work" >"$work/recipient.cnf"
  mysql_clone_sql "$staging" "$donor" "$work/cloned" >"$work/clone.sql"
  launched=$(date -u +%s%3N)
  mysqld --defaults-file="$work/recipient.cnf" --datadir="$work/datadir" --log-error="$work/recipient.log" \
    "${MYSQL_BOOTSTRAP_OPTIONS[@]}" --initialize --init-file="$work/clone.sql" &
  pid=$!
  until [[ -f $work/cloned ]] || ! kill -0 "$pid" 2>/dev/null; do
    sleep 0.05
  done
  if [[ -f $work/cloned ]]; then
    cloned=$(date -u +%s%3N)
    kill -KILL "$pid" 2>/dev/null || true
    { wait "$pid" || true; } 2>/dev/null
  else
    wait "$pid" || status=$?
    # A run that ends without the file has failed, whatever its status.
    ((status != 0)) || status=1
    grep -E '\[ERROR\]' "$work/recipient.log" >&2 || true
  fi
  if ((status == 0)); then
    log "CLONE INSTANCE from $donor:$SERVER_PORT: $(mysql_recipient_phases "$work/recipient.log" "$launched" "$cloned" "$(date -u +%s%3N)")"
    # Keep the recipient's freshly made TLS and RSA keys, so the first start of the clone
    # does not spend time making its own.
    for file in "${MYSQL_KEY_FILES[@]}"; do
      [[ -f $work/datadir/$file ]] && mv "$work/datadir/$file" "$staging/"
    done
  fi
  rm -rf "$work"
  if ((status != 0)); then
    log "CLONE INSTANCE from $donor:$SERVER_PORT failed (mysqld exited with $status)"
    return 1
  fi
  CLONE_DESCRIPTION="CLONE INSTANCE"
}

# ---- Replica health (probe.sh, run-mysqld.sh) ---------------------------------------------

# What the primary has committed: its executed GTID set.
readonly ENGINE_SQL_PRIMARY_POSITION="SELECT @@GLOBAL.gtid_executed"
# The receiver's error when the source purged binary logs the replica still needs: MySQL
# wraps the source's error 1236 in its own code (13114), so the text is what identifies it.
readonly ENGINE_PURGED_ERROR_PATTERN="Last_IO_Errno: 13114"$'\n'"[[:space:]]*Last_IO_Error: [^"$'\n'"]*fatal error 1236 [^"$'\n'"]*purged required binary logs"

# The applier worker's error, which Last_SQL_Error only points to with the multi-threaded
# applier ("Coordinator stopped because there were error(s) in the worker(s)").
engine_applier_error_detail() {
  root_client_tcp -e "SELECT LAST_ERROR_MESSAGE FROM performance_schema.replication_applier_status_by_worker WHERE LAST_ERROR_NUMBER <> 0 LIMIT 1"
}

# Nothing per pod: a replica's own transactions carry its own server_uuid, so they never
# collide with the primary's.
engine_pod_config() { :; }

# SQL returning 0 once this server has applied GTID set $1, 1 after $2 seconds without.
engine_sql_wait_for_position() {
  printf 'SELECT WAIT_FOR_EXECUTED_GTID_SET(%s, %d)' "$(sql_string "$1")" "$2"
}

# Prints the transactions of the server on host $1 that are not in the primary's GTID set
# $2 (empty when there are none), as "<uuid>:<range>" entries separated by commas.
engine_own_transactions() {
  local own
  own=$(root_client_at "$1" -e "SELECT GTID_SUBTRACT(@@GLOBAL.gtid_executed, $(sql_string "$2"))") || return 1
  own=${own//\\n/}
  printf '%s' "${own//[[:space:]]/}"
}

# What a server's own GTIDs carry, and how a GTID set entry ("<uuid>:<ranges>") names it.
readonly ENGINE_SQL_GTID_ORIGIN="SELECT @@GLOBAL.server_uuid"
readonly ENGINE_GTID_ORIGIN_PATTERN='^([^:]+):'

# SQL for the first start of a clone: keep only the GTIDs the primary has (set $1). A clone
# carries the donor's gtid_executed, so what the donor logged of its own (FLUSH TABLES,
# REPAIR TABLE: the statements super_read_only lets through) would otherwise follow it to
# every pod cloned after it. A clone has no binary log of its own yet, so the reset loses
# nothing.
engine_first_start_sql() {
  cat <<SQL
SET @primary_gtids = GTID_SUBTRACT(@@GLOBAL.gtid_executed, GTID_SUBTRACT(@@GLOBAL.gtid_executed, $(sql_string "$1")));
RESET BINARY LOGS AND GTIDS;
SET GLOBAL gtid_purged = @primary_gtids;
SQL
}

# Nothing to set up before replication runs: the --init-file does it at every start.
engine_apply_pending_replication() { :; }
