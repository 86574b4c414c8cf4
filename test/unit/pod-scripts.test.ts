/**
 * Golden tests of the engine-specific parts of the pod scripts, for BOTH engines: the real
 * engine-*.sh functions run through bash (via lib.sh's load_engine) on sample mariabackup
 * clone metadata in test/fixtures/clone-metadata/ (MariaDB 10.11 forms, and malformed
 * ones), and the SQL each engine generates. Both engines also run end to end against real
 * servers in test/dataplane (npm run test:dataplane): MariaDB 10.11 and MySQL 9.7.
 */
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { recipientPhases } from "../../bench/report";

const SCRIPTS = path.resolve(__dirname, "../../components/mysql/scripts");
const CONF = path.resolve(__dirname, "../../components/mysql/conf");
const FIXTURES = path.resolve(__dirname, "../fixtures/clone-metadata");

const ENV = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    MYSQL_ROOT_PASSWORD: `r00t'pw\\x`,
    REPLICATION_USER: "replicator",
    REPLICATION_PASSWORD: `it's "quoted" \\ too`,
    BACKUP_USER: "backup",
    BACKUP_PASSWORD: "b@ck'up",
    METRICS_USER: "metrics",
    METRICS_PASSWORD: `m'etr"ics`,
};

/** Runs a snippet after sourcing lib.sh and loading the engine, as the pod scripts do. */
function bash(engine: string, snippet: string): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync("bash", ["-c", `set -euo pipefail; source ${JSON.stringify(path.join(SCRIPTS, "lib.sh"))}; load_engine; ${snippet}`], {
        env: { ...ENV, MYSQL_ENGINE: engine },
        encoding: "utf8",
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function clonePosition(engine: string, fixture: string) {
    return bash(engine, `clone_position ${JSON.stringify(path.join(FIXTURES, engine, fixture))}`);
}

describe("pod scripts: engine selection", function () {
    it("fails clearly on an unknown or missing engine", function () {
        const unknown = bash("postgres", "true");
        assert.strictEqual(unknown.code, 1);
        assert.match(unknown.stderr, /unknown MYSQL_ENGINE 'postgres': expected mysql or mariadb/);
        const missing = bash("", "true");
        assert.strictEqual(missing.code, 1);
        assert.match(missing.stderr, /missing or empty environment variable\(s\): MYSQL_ENGINE/);
    });

    it("names every missing tool and every missing or empty variable", function () {
        const tools = bash("mariadb", "require_tools bash no-such-tool-a ls no-such-tool-b");
        assert.strictEqual(tools.code, 1);
        assert.match(tools.stderr, /missing tool\(s\) in this image: no-such-tool-a no-such-tool-b$/m);
        const env = bash("mariadb", "EMPTY_ONE= require_env MYSQL_ENGINE EMPTY_ONE UNSET_ONE");
        assert.strictEqual(env.code, 1);
        assert.match(env.stderr, /missing or empty environment variable\(s\): EMPTY_ONE UNSET_ONE$/m);
    });

    it("names each engine's programs in its own file", function () {
        const names = (engine: string) =>
            bash(engine, 'printf "%s " "$ENGINE_SERVER" "$ENGINE_CLIENT" "$ENGINE_ADMIN" "${ENGINE_CLONE_TOOLS[@]}"').stdout.trim();
        // MySQL clones with the server itself (CLONE plugin): no backup tool.
        assert.strictEqual(names("mysql"), "mysqld mysql mysqladmin mysqld");
        assert.strictEqual(names("mariadb"), "mariadbd mariadb mariadb-admin mkdir du grep mbstream mariabackup");
    });
});

describe("pod scripts: clone metadata parsing (mariabackup)", function () {
    const good: [string, string, string][] = [
        ["mariadb", "primary", "0-100-3"],
        ["mariadb", "primary-multi-domain", "0-100-3,1-101-7"],
        ["mariadb", "primary-no-gtid-yet", ""],
        ["mariadb", "primary-two-columns", ""],
        ["mariadb", "replica", "0-100-3"],
        ["mariadb", "replica-no-gtid-yet", ""],
    ];
    for (const [engine, fixture, expected] of good) {
        it(`${engine}: ${fixture} gives '${expected}'`, function () {
            const r = clonePosition(engine, fixture);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(r.stdout, `${expected}\n`);
        });
    }

    const bad: [string, string, RegExp][] = [
        ["mariadb", "malformed-missing", /clone metadata missing: neither xtrabackup_slave_info nor xtrabackup_binlog_info/],
        ["mariadb", "malformed-file-position-only", /has a file\/position and there is no xtrabackup_binlog_info: no GTID position/],
        ["mariadb", "malformed-one-column", /malformed .*xtrabackup_binlog_info: expected '<binlog file> <position> \[<GTID set>\]', found 'mysql-bin.000002/],
        ["mariadb", "malformed-position", /malformed .*xtrabackup_binlog_info/],
        ["mariadb", "malformed-gtid", /malformed GTID position '0-100-x'/],
        ["mariadb", "malformed-mysql-gtid", /malformed GTID position '3e11fa47/],
        ["mariadb", "malformed-slave-info", /malformed .*xtrabackup_slave_info: neither gtid_slave_pos nor MASTER_LOG_FILE/],
        ["mariadb", "malformed-empty", /malformed .*xtrabackup_binlog_info/],
    ];
    for (const [engine, fixture, message] of bad) {
        it(`${engine}: ${fixture} fails with a clear message`, function () {
            const r = clonePosition(engine, fixture);
            assert.strictEqual(r.code, 1, `accepted, printed '${r.stdout}'`);
            assert.strictEqual(r.stdout, "");
            assert.match(r.stderr, message);
        });
    }

    it("every fixture directory is covered by a case", function () {
        const covered = new Set([...good, ...bad].map(([engine, fixture]) => `${engine}/${fixture}`));
        for (const engine of ["mariadb"]) {
            for (const fixture of fs.readdirSync(path.join(FIXTURES, engine))) {
                assert.ok(covered.has(`${engine}/${fixture}`), `fixture ${engine}/${fixture} is not tested`);
            }
        }
    });
});

describe("pod scripts: replication SQL", function () {
    it("mysql: every start points the replica at the primary, auto-positioned over TLS, with quoted secrets", function () {
        const r = bash("mysql", "engine_replica_init_sql mysql-0.mysql");
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(
            r.stdout,
            [
                "STOP REPLICA;",
                "CHANGE REPLICATION SOURCE TO SOURCE_HOST = 'mysql-0.mysql', SOURCE_PORT = 3306, SOURCE_USER = 'replicator', " +
                    `SOURCE_PASSWORD = 'it''s "quoted" \\\\ too', SOURCE_AUTO_POSITION = 1, SOURCE_SSL = 1, SOURCE_CONNECT_RETRY = 10;`,
                "START REPLICA;",
                "",
            ].join("\n"),
        );
    });

    it("mysql: the recipient's run is split into initialise, clone and stop from its own log", function () {
        // A real 9.7.4 recipient log (excerpt; bootstrap ends 22:07:08.014 UTC), launched at
        // 22:07:03.000, its CLONE done at 22:07:08.900, ended at 22:07:09.100.
        const log = path.resolve(__dirname, "../fixtures/mysql-recipient/recipient-9.7.4.err");
        const launched = Date.parse("2026-11-30T22:07:03.000Z");
        const r = bash("mysql", `mysql_recipient_phases ${JSON.stringify(log)} ${launched} ${launched + 5900} ${launched + 6100}`);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(r.stdout, "recipient initialised in 5.01 s, cloned in 0.88 s, stopped in 0.20 s");
        // The bench reads the same line back from clone-from-peer's log (the last one wins).
        const podLog = `2026-11-30T22:06:00Z clone-from-peer.sh: CLONE INSTANCE from mysql-0.mysql:3306: recipient initialised in 9.99 s, cloned in 9.99 s, stopped in 9.99 s\n` +
            `2026-11-30T22:07:10Z clone-from-peer.sh: CLONE INSTANCE from mysql-0.mysql:3306: ${r.stdout}\n`;
        assert.deepStrictEqual(recipientPhases(podLog), { initialiseSeconds: 5.01, cloneSeconds: 0.88, stopSeconds: 0.2 });
        const bare = bash("mysql", `mysql_recipient_phases /dev/null ${launched} ${launched + 5900} ${launched + 7000}`);
        assert.strictEqual(bare.code, 0, bare.stderr);
        assert.strictEqual(bare.stdout, "recipient ran 7.00 s (no end of bootstrap in its log)");
    });

    it("mysql: the recipient clones only from the previous pod, over TLS, into a named directory, then says so in a file", function () {
        const r = bash("mysql", "mysql_clone_sql /var/lib/mysql/.pod-clone-staging mysql-1.mysql /tmp/clone-recipient.x/cloned");
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(
            r.stdout,
            [
                "INSTALL PLUGIN clone SONAME 'mysql_clone.so';",
                "SET GLOBAL clone_valid_donor_list = 'mysql-1.mysql:3306';",
                "CLONE INSTANCE FROM 'backup'@'mysql-1.mysql':3306 IDENTIFIED BY 'b@ck''up' " +
                    "DATA DIRECTORY = '/var/lib/mysql/.pod-clone-staging' REQUIRE SSL;",
                "SELECT 'cloned' INTO DUMPFILE '/tmp/clone-recipient.x/cloned';",
                "",
            ].join("\n"),
        );
    });

    it("mariadb: GTID slave_pos replication, quoted secrets", function () {
        const r = bash("mariadb", "engine_replication_setup_sql '0-100-3,1-101-7' mysql-0.mysql");
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(
            r.stdout,
            [
                "STOP SLAVE;",
                "SET GLOBAL gtid_slave_pos = '0-100-3,1-101-7';",
                "CHANGE MASTER TO MASTER_HOST = 'mysql-0.mysql', MASTER_PORT = 3306, MASTER_USER = 'replicator', " +
                    `MASTER_PASSWORD = 'it''s "quoted" \\\\ too', MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 10;`,
                "",
            ].join("\n"),
        );
    });

    it("mariadb: refuses to write SQL for a malformed position (no injection through the metadata)", function () {
        const r = bash("mariadb", `engine_replication_setup_sql "0-1-1'; DROP DATABASE mysql; --" mysql-0.mysql`);
        assert.strictEqual(r.code, 1);
        assert.strictEqual(r.stdout, "");
        assert.match(r.stderr, /malformed GTID/);
    });

    for (const engine of ["mysql", "mariadb"]) {
        it(`${engine}: readiness needs both replication threads running`, function () {
            const [io, sql] = engine === "mysql" ? ["Replica_IO_Running", "Replica_SQL_Running"] : ["Slave_IO_Running", "Slave_SQL_Running"];
            const check = (status: string) => bash(engine, `printf '%s' ${JSON.stringify(status)} | engine_replication_threads_running`).code;
            // The client's vertical output (-E), as the probe reads it.
            assert.strictEqual(check(`*************************** 1. row ***************************\n     ${io}: Yes\n    ${sql}: Yes\n`), 0);
            assert.strictEqual(check(`${io}: Yes\n${sql}: Yes\n`), 0);
            assert.strictEqual(check(`${io}: Connecting\n${sql}: Yes\n`), 1);
            assert.strictEqual(check(`${io}: Yes\n${sql}: No\n`), 1);
            assert.strictEqual(check(""), 1);
        });
    }
});

describe("pod scripts: accounts created on pod 0", function () {
    it("mysql: root with its password, replication user with REPLICATION SLAVE only, clone donor account with BACKUP_ADMIN only over TLS", function () {
        const sql = bash("mysql", "engine_bootstrap_sql").stdout;
        assert.match(sql, /^SET SESSION sql_log_bin = 0;$/m);
        assert.match(sql, /^ALTER USER 'root'@'localhost' IDENTIFIED BY 'r00t''pw\\\\x';$/m);
        assert.match(sql, /^GRANT REPLICATION SLAVE ON \*\.\* TO 'replicator'@'%';$/m);
        assert.match(sql, /^CREATE USER 'backup'@'%' IDENTIFIED BY 'b@ck''up' REQUIRE SSL;$/m);
        assert.match(sql, /^GRANT BACKUP_ADMIN ON \*\.\* TO 'backup'@'%';$/m);
        assert.strictEqual(sql.match(/^GRANT .* TO 'backup'/gm)?.length, 1);
        assert.match(sql, /^CREATE USER 'metrics'@'localhost' IDENTIFIED BY 'm''etr"ics' WITH MAX_USER_CONNECTIONS 3;$/m);
        assert.match(sql, /^GRANT PROCESS, REPLICATION CLIENT ON \*\.\* TO 'metrics'@'localhost';$/m);
        assert.strictEqual(sql.match(/^GRANT .* TO 'metrics'/gm)?.length, 2, "metrics: monitoring grants only");
        assert.strictEqual(sql.match(/^GRANT .* TO 'replicator'/gm)?.length, 1);
        assert.doesNotMatch(sql, /IDENTIFIED BY ''/);
    });

    it("mariadb: root loses READ_ONLY ADMIN; only the socket-only local admin keeps it", function () {
        const sql = bash("mariadb", "engine_bootstrap_sql").stdout;
        assert.match(sql, /^REVOKE READ_ONLY ADMIN ON \*\.\* FROM 'root'@'localhost', 'root'@'%';$/m);
        assert.match(sql, /^CREATE USER 'mysql'@'localhost' IDENTIFIED VIA unix_socket;$/m);
        assert.match(sql, /^GRANT READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, SLAVE MONITOR, SHUTDOWN ON \*\.\* TO 'mysql'@'localhost';$/m);
        assert.match(sql, /^GRANT REPLICATION SLAVE ON \*\.\* TO 'replicator'@'%';$/m);
        assert.match(sql, /^GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, SLAVE MONITOR ON \*\.\* TO 'backup'@'localhost';$/m);
        assert.match(sql, /^GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON \*\.\* TO 'metrics'@'localhost';$/m);
        assert.strictEqual(sql.match(/^GRANT .* TO 'metrics'/gm)?.length, 2, "metrics: monitoring grants only");
        assert.doesNotMatch(sql, /IDENTIFIED BY ''/);
    });
});

describe("pod scripts: MySQL 8.4/9.7 syntax only in the mysql engine", function () {
    // Removed in 8.4.0 (FACTS.md section 3). The privilege REPLICATION SLAVE kept its name.
    const removed = [/CHANGE\s+MASTER/i, /\b(START|STOP|RESET)\s+SLAVE\b/i, /SHOW\s+SLAVE\s+STATUS/i, /RESET\s+MASTER/i,
        /SHOW\s+MASTER\s+STATUS/i, /\bMASTER_[A-Z_]+/i, /skip[-_]slave[-_]start/i, /log[-_]slave[-_]updates/i, /slave_net_timeout/i];
    const files = [path.join(SCRIPTS, "engine-mysql.sh"), ...fs.readdirSync(path.join(CONF, "mysql")).map((f) => path.join(CONF, "mysql", f))];

    for (const file of files) {
        it(`${path.relative(path.resolve(__dirname, "../.."), file)} uses none of the removed syntax`, function () {
            const text = fs.readFileSync(file, "utf8");
            for (const pattern of removed) assert.doesNotMatch(text, pattern);
            const rest = text.replace(/REPLICATION SLAVE\b/g, "");
            assert.doesNotMatch(rest, /\bslave\b|\bmaster\b/i);
        });
    }

    it("the generated SQL of the mysql engine uses none of it either, nor client commands such as \\G", function () {
        const r = bash("mysql", `engine_replica_init_sql mysql-0.mysql; mysql_clone_sql /d mysql-1.mysql /tmp/c/cloned; engine_bootstrap_sql; echo "$ENGINE_SQL_REPLICA_STATUS"`);
        assert.strictEqual(r.code, 0, r.stderr);
        for (const pattern of removed) assert.doesNotMatch(r.stdout, pattern);
        assert.doesNotMatch(r.stdout, /\\[GgEe]\b/);
        assert.match(r.stdout, /SHOW REPLICA STATUS/);
    });

    it("no pod script sends a client command such as \\G (the 9.x client refuses them by default)", function () {
        for (const file of fs.readdirSync(SCRIPTS).filter((f) => f.endsWith(".sh"))) {
            // Comments may name it; code may not.
            const code = fs.readFileSync(path.join(SCRIPTS, file), "utf8").split("\n").filter((l) => !/^\s*#/.test(l));
            assert.doesNotMatch(code.join("\n"), /\\\\?G\b/, file);
        }
    });

    it("every plugin option in the mysql conf is loose- (mysqld --initialize loads no plugin and aborts on unknown options)", function () {
        for (const file of fs.readdirSync(path.join(CONF, "mysql"))) {
            for (const line of fs.readFileSync(path.join(CONF, "mysql", file), "utf8").split("\n")) {
                if (/^\s*(loose[-_])?clone[-_]/.test(line)) assert.match(line, /^loose-clone_/, `${file}: ${line}`);
            }
        }
        assert.match(fs.readFileSync(path.join(CONF, "mysql", "common.cnf"), "utf8"), /^loose-clone_donor_timeout_after_network_failure = 0$/m);
    });

    it("the mysql conf enables GTID, crash safety and super_read_only on replicas", function () {
        const common = fs.readFileSync(path.join(CONF, "mysql", "common.cnf"), "utf8");
        for (const setting of ["gtid_mode = ON", "enforce_gtid_consistency = ON", "sync_binlog = 1", "innodb_flush_log_at_trx_commit = 1", "relay_log_recovery = ON", "log-bin = mysql-bin"]) {
            assert.ok(common.includes(setting), `common.cnf lacks ${setting}`);
        }
        assert.match(fs.readFileSync(path.join(CONF, "mysql", "replica.cnf"), "utf8"), /^super_read_only = ON$/m);
        assert.doesNotMatch(fs.readFileSync(path.join(CONF, "mariadb", "replica.cnf"), "utf8"), /^super[-_]read[-_]only/m);
    });
});

describe("pod scripts: replica health (issue 13)", function () {
    it("MariaDB replicas log in a GTID domain of their own (their server_id); pod 0 and MySQL add nothing", function () {
        assert.strictEqual(bash("mariadb", "ORDINAL=2; engine_pod_config").stdout, "# Whatever this replica logs of its own never collides with the primary's domain 0.\ngtid_domain_id = 102\n");
        assert.strictEqual(bash("mariadb", "ORDINAL=0; engine_pod_config").stdout, "");
        assert.strictEqual(bash("mysql", "ORDINAL=2; engine_pod_config").stdout, "");
    });

    it("waits for the primary's position with each engine's own function, the position as an SQL string", function () {
        assert.strictEqual(bash("mysql", `engine_sql_wait_for_position "uuid-a:1-5,uuid-'b:1" 2`).stdout, "SELECT WAIT_FOR_EXECUTED_GTID_SET('uuid-a:1-5,uuid-''b:1', 2)");
        assert.strictEqual(bash("mariadb", "engine_sql_wait_for_position 0-100-7 3").stdout, "SELECT MASTER_GTID_WAIT('0-100-7', 3)");
    });

    it("reads the origin of each GTID: MySQL the server_uuid, MariaDB the server_id", function () {
        assert.strictEqual(bash("mysql", "gtid_origins 'aaa-1:1-4,bbb-2:7'").stdout, "aaa-1\nbbb-2\n");
        assert.strictEqual(bash("mariadb", "gtid_origins '0-100-9,102-102-3'").stdout, "100\n102\n");
        assert.strictEqual(bash("mariadb", "gtid_origins ''").stdout, "");
    });

    it("at a MySQL clone's first start keeps only the GTIDs the primary has; MariaDB needs nothing", function () {
        assert.strictEqual(
            bash("mysql", "engine_first_start_sql 'aaa:1-10'").stdout,
            "SET @primary_gtids = GTID_SUBTRACT(@@GLOBAL.gtid_executed, GTID_SUBTRACT(@@GLOBAL.gtid_executed, 'aaa:1-10'));\n" +
                "RESET BINARY LOGS AND GTIDS;\nSET GLOBAL gtid_purged = @primary_gtids;\n",
        );
        assert.strictEqual(bash("mariadb", "engine_first_start_sql 'x'").stdout, "");
    });

    it("recognises the purged-binlog error of each engine, and no other receiver error", function () {
        const purged = {
            mysql: "               Last_IO_Errno: 13114\n               Last_IO_Error: Got fatal error 1236 from source when reading data from binary log: 'Cannot replicate because the source purged required binary logs. Replicate the missing transactions from elsewhere'\n",
            mariadb: "               Last_IO_Errno: 1236\n               Last_IO_Error: Got fatal error 1236 from master when reading data from binary log: 'Could not find GTID state requested by slave in any binlog files. Probably the slave state is too old and required binlog files have been purged.'\n",
        };
        const other = {
            mysql: "               Last_IO_Errno: 13114\n               Last_IO_Error: Got fatal error 1236 from source when reading data from binary log: 'Replica has more GTIDs than the source has'\n",
            mariadb: "               Last_IO_Errno: 1236\n               Last_IO_Error: Got fatal error 1236 from master when reading data from binary log: 'Error: connecting slave requested to start from GTID 0-101-4, which is not in the master's binlog'\n",
        };
        for (const engine of ["mysql", "mariadb"] as const) {
            const match = (status: string) => bash(engine, `status=$(printf '%b' ${JSON.stringify(status)}); [[ $status =~ $ENGINE_PURGED_ERROR_PATTERN ]]`).code;
            assert.strictEqual(match(purged[engine]), 0, `${engine}: purged not recognised`);
            assert.strictEqual(match(other[engine]), 1, `${engine}: another 1236 taken for a purge`);
            assert.strictEqual(match(purged[engine === "mysql" ? "mariadb" : "mysql"]), 1, `${engine}: the other engine's error taken for its own`);
        }
    });
});

describe("pod scripts: the startup probe", function () {
    this.timeout(20_000);
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "startup-probe-"));
        fs.mkdirSync(path.join(dir, "bin"));
        fs.mkdirSync(path.join(dir, "run"));
        // The server's admin client answers once the test says the server is up.
        fs.writeFileSync(path.join(dir, "bin", "mysqladmin"), `#!/bin/sh\nexec test -e ${dir}/up\n`, { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "bin", "mysql"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /**
     * Runs `probe.sh startup WATCH_MS` as the kubelet does, with the pod's /run/mysqld being
     * this test's directory (a private mount namespace: the script's paths are the pod's).
     */
    function startupProbe(watch: string): Promise<{ code: number | null; stderr: string }> {
        const probe = path.join(SCRIPTS, "probe.sh");
        const inner = `mount -t tmpfs tmpfs /run && mkdir /run/mysqld && mount --bind ${dir}/run /run/mysqld && exec bash ${probe} startup ${watch}`;
        const child = spawn("unshare", ["--mount", "--map-root-user", "--propagation", "private", "sh", "-c", inner], {
            env: { PATH: `${dir}/bin:${process.env.PATH}`, MYSQL_ENGINE: "mysql" },
        });
        let stderr = "";
        child.stderr.on("data", (b) => (stderr += b));
        return new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr })));
    }

    const after = (ms: number) => new Promise((r) => setTimeout(r, ms));

    it("passes as soon as a server that starts during its watch answers on the socket", async () => {
        const probe = startupProbe("8000");
        await after(300);
        // The socket appears first (the server listens), then the server answers.
        const server = net.createServer().listen(path.join(dir, "run", "mysqld.sock"));
        await after(300);
        fs.writeFileSync(path.join(dir, "up"), "");
        const result = await probe;
        server.close();
        // One probe, started before the server: a single check would have failed.
        assert.strictEqual(result.code, 0, result.stderr);
    });

    it("fails at the end of its watch, naming the socket and the watch, when no server answers", async () => {
        // A socket with no server behind it: the admin client is asked and says no.
        const server = net.createServer().listen(path.join(dir, "run", "mysqld.sock"));
        const result = await startupProbe("400");
        server.close();
        assert.strictEqual(result.code, 1);
        assert.match(result.stderr, /startup: the server does not answer on \/run\/mysqld\/mysqld\.sock \(watched for 400 ms\)/);
    });

    it("refuses a watch that is not a whole number of milliseconds", async () => {
        for (const watch of ["", "0", "1.5", "007", "100000"]) {
            const result = await startupProbe(JSON.stringify(watch));
            assert.strictEqual(result.code, 1, `watch '${watch}'`);
            assert.match(result.stderr, /usage: probe\.sh startup WATCH_MS \(1 to 99999 milliseconds\)/);
        }
    });
});
