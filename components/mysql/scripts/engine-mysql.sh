# shellcheck shell=bash
# shellcheck disable=SC2034 # the ENGINE_* names are used by the scripts that source this file
# Engine: MySQL 8.4 LTS (mysqld, Percona XtraBackup 8.4). Sourced by lib.sh's load_engine.
# Everything that differs from engine-mariadb.sh is here: program names, account SQL, the
# replication SQL (8.4 syntax only: the SOURCE/REPLICA forms), how the local admin connects,
# and how clone metadata is read. Not run against a server in this repository's tests:
# only its SQL and metadata parsing are checked (test/unit/pod-scripts.test.ts).
#
# Read-only replicas: replica.cnf sets super_read_only, which binds root too. The sidecar
# connects as root on the socket; to reset the GTID state of a fresh clone it lifts
# super_read_only for those two statements only (read_only stays on), while the pod is not
# Ready (its replication threads are not running yet).

readonly ENGINE_SERVER=mysqld
readonly ENGINE_CLIENT=mysql
readonly ENGINE_ADMIN=mysqladmin
readonly ENGINE_BACKUP=xtrabackup
readonly ENGINE_XBSTREAM=xbstream
readonly ENGINE_INIT_TOOLS=(mysqld mktemp)
readonly ENGINE_SKIP_REPLICA_START_OPTION=--skip-replica-start
readonly ENGINE_SQL_START_REPLICA="START REPLICA"
readonly ENGINE_SQL_REPLICA_STATUS="SHOW REPLICA STATUS"
readonly ENGINE_REPLICA_STATUS_FIELD_PREFIX=Replica   # Replica_IO_Running, Replica_SQL_Running
# How xtrabackup_slave_info names the GTID state of a replica donor, and its file/position
# form; what a GTID state is called here (read by lib.sh clone_position).
readonly ENGINE_SLAVE_INFO_GTID_VARIABLE=gtid_purged
readonly ENGINE_SLAVE_INFO_FILE_OPTION=SOURCE_LOG_FILE
readonly ENGINE_GTID_NOUN="GTID set"

# Runs the client as root on the server socket; arguments go to the client.
engine_local_admin_client() {
  write_client_option_file "$ROOT_OPTION_FILE" root "$MYSQL_ROOT_PASSWORD"
  "$ENGINE_CLIENT" --defaults-extra-file="$ROOT_OPTION_FILE" --socket="$SOCKET" --batch --skip-column-names "$@"
}

# Accounts of a new cluster, applied once on pod 0 while the datadir is initialised. Not
# binary-logged: replicas get them inside the clone.
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
CREATE USER $backup_account@'localhost' IDENTIFIED BY $backup_pw;
GRANT BACKUP_ADMIN, PROCESS, RELOAD, LOCK TABLES, REPLICATION CLIENT ON *.* TO $backup_account@'localhost';
GRANT SELECT ON performance_schema.log_status TO $backup_account@'localhost';
CREATE USER $metrics_account@'localhost' IDENTIFIED BY $metrics_pw WITH MAX_USER_CONNECTIONS 3;
GRANT PROCESS, REPLICATION CLIENT ON *.* TO $metrics_account@'localhost';
GRANT SELECT ON performance_schema.* TO $metrics_account@'localhost';
SQL
}

# Initialises the datadir and applies the accounts in the same run (--init-file), before any
# server accepts a connection: root never has an empty password on a listening server.
engine_initialize_datadir() {
  local init_file status=0
  init_file=$(mktemp /tmp/bootstrap.XXXXXX.sql)
  engine_bootstrap_sql >"$init_file"
  mysqld --initialize-insecure --init-file="$init_file" >&2 || status=$?
  rm -f "$init_file"
  ((status == 0)) || die "mysqld --initialize-insecure failed with status $status"
}

readonly MYSQL_UUID='[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'
readonly MYSQL_GTID_ELEMENT="$MYSQL_UUID(:([A-Za-z_][A-Za-z0-9_]{0,31}|[0-9]+(-[0-9]+)?))+"

engine_valid_position() {
  [[ -z $1 || $1 =~ ^$MYSQL_GTID_ELEMENT(,$MYSQL_GTID_ELEMENT)*$ ]]
}

# SQL that points a freshly cloned replica at the primary $2 from GTID set $1, without
# starting it (the caller records that the set-up is done, then starts replication).
engine_replication_setup_sql() {
  local position=$1 source_host=$2
  engine_valid_position "$position" || die "malformed GTID set '$position'"
  printf '%s\n' "STOP REPLICA;" "RESET REPLICA ALL;" "SET GLOBAL super_read_only = OFF;" \
    "RESET BINARY LOGS AND GTIDS;"
  [[ -z $position ]] || printf 'SET GLOBAL gtid_purged = %s;\n' "$(sql_string "$position")"
  printf '%s\n' "SET GLOBAL super_read_only = ON;"
  printf 'CHANGE REPLICATION SOURCE TO SOURCE_HOST = %s, SOURCE_PORT = %d, SOURCE_USER = %s, SOURCE_PASSWORD = %s, SOURCE_AUTO_POSITION = 1, SOURCE_CONNECT_RETRY = 10, GET_SOURCE_PUBLIC_KEY = 1;\n' \
    "$(sql_string "$source_host")" "$SERVER_PORT" "$(sql_string "$REPLICATION_USER")" "$(sql_string "$REPLICATION_PASSWORD")"
}
