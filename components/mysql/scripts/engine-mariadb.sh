# shellcheck shell=bash
# shellcheck disable=SC2034 # the ENGINE_* names are used by the scripts that source this file
# Engine: MariaDB (10.11 LTS: mariadbd, mariabackup). Sourced by lib.sh's load_engine.
# Everything that differs from engine-mysql.sh is here: program names, account SQL, the
# replication SQL, how the local admin connects, and how clone metadata is read.
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
readonly ENGINE_SKIP_REPLICA_START_OPTION=--skip-slave-start
readonly ENGINE_SQL_START_REPLICA="START SLAVE"
readonly ENGINE_SQL_REPLICA_STATUS="SHOW SLAVE STATUS"
readonly ENGINE_REPLICA_STATUS_FIELD_PREFIX=Slave   # Slave_IO_Running, Slave_SQL_Running
# How xtrabackup_slave_info names the GTID state of a replica donor, and its file/position
# form; what a GTID state is called here (read by lib.sh clone_position).
readonly ENGINE_SLAVE_INFO_GTID_VARIABLE=gtid_slave_pos
readonly ENGINE_SLAVE_INFO_FILE_OPTION=MASTER_LOG_FILE
readonly ENGINE_GTID_NOUN="GTID position"
readonly LOCAL_ADMIN_USER=mysql

# Runs the client as the local admin on the server socket; arguments go to the client.
engine_local_admin_client() {
  local socket=${LOCAL_ADMIN_SOCKET:-$SOCKET}
  [[ $(id -un 2>/dev/null) == "$LOCAL_ADMIN_USER" ]] ||
    die "the local admin account authenticates the OS user '$LOCAL_ADMIN_USER' by unix_socket: run this container as that user (now uid $(id -u))"
  "$ENGINE_CLIENT" --user="$LOCAL_ADMIN_USER" --socket="$socket" --batch --skip-column-names "$@"
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
  mariadb-install-db --datadir="$DATA_DIR" --skip-test-db --skip-name-resolve \
    --auth-root-authentication-method=socket --auth-root-socket-user="$LOCAL_ADMIN_USER" >&2
  mariadbd --skip-networking --skip-slave-start --socket="$boot_socket" \
    --pid-file="$RUN_DIR/bootstrap.pid" &
  boot_pid=$!
  local start=$SECONDS
  until "$ENGINE_ADMIN" --socket="$boot_socket" --connect-timeout=2 ping >/dev/null 2>&1; do
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
