/**
 * Scenario 9 on each engine: bad input to the pod scripts fails clearly (non-zero, a message
 * that names the problem) and never leaves a half-configured server: a hostname without an
 * ordinal, missing environment, and (MariaDB, whose clone is a backup stream with metadata
 * files) clone metadata that is missing or malformed, served by a fake peer in the donor
 * pod's network namespace. A MySQL clone (CLONE over 3306) carries no metadata to parse.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ChildProcess, execFileSync } from "child_process";
import { CLONE_STREAM_PORT } from "../../components/mysql/engine";
import { Cluster, PodInitError } from "./harness/cluster";
import { enginesUnderTest } from "./harness/engines";
import { exited, signalGroup, waitFor } from "./harness/process";

// What makes a stream a complete backup for clone-from-peer (the tools write these last).
const COMPLETE = {
    xtrabackup_checkpoints: "backup_type = full-backuped\nfrom_lsn = 0\nto_lsn = 52740\nlast_lsn = 52740\n",
    xtrabackup_info: "tool_name = mariabackup\n",
};

for (const engine of enginesUnderTest()) describe(`[${engine}] data plane: bad input to the pod scripts`, function () {
    let cluster: Cluster;

    before(async function () {
        cluster = await Cluster.create({ engine });
        await cluster.startPod(0);
    });

    after(async function () {
        if (cluster) await cluster.destroy();
    });

    // Every script a container of the pod runs, as the component's spec names them.
    for (const script of Cluster.scriptsOf(engine)) {
        it(`9a. ${script} on a hostname without an ordinal fails and configures nothing`, async function () {
            const r = await cluster.runStandalone({ hostname: "mysql", command: `bash /mnt/config-map/${script}` });
            assert.strictEqual(r.code, 1, r.stderr);
            assert.match(r.stderr, /hostname 'mysql' does not end in -<ordinal>/);
            assert.deepStrictEqual(r.confFiles, []);
            assert.deepStrictEqual(r.dataFiles, []);
        });
    }

    it("9b. a missing or empty required variable is named, and nothing is initialised", async function () {
        const r = await cluster.runStandalone({
            hostname: "mysql-0",
            command: "bash /mnt/config-map/init-config.sh && exec bash /mnt/config-map/run-mysqld.sh",
            env: { REPLICATION_PASSWORD: "", BACKUP_USER: undefined },
        });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /missing or empty environment variable\(s\): REPLICATION_PASSWORD BACKUP_USER/);
        assert.deepStrictEqual(r.dataFiles, []);

        const unknownEngine = await cluster.runStandalone({
            hostname: "mysql-1",
            command: cluster.spec.server.command.join(" "),
            env: { MYSQL_ENGINE: "postgres" },
        });
        assert.strictEqual(unknownEngine.code, 1);
        assert.match(unknownEngine.stderr, /unknown MYSQL_ENGINE 'postgres': expected mysql or mariadb/);
        assert.deepStrictEqual(unknownEngine.dataFiles, []);
    });

    const cases: { name: string; files: Record<string, string>; error: RegExp }[] = engine !== "mariadb" ? [] : [
        { name: "no clone metadata at all", files: {}, error: /clone metadata missing: neither xtrabackup_slave_info nor xtrabackup_binlog_info/ },
        { name: "a binlog_info without a position", files: { xtrabackup_binlog_info: "mysql-bin.000002\n" }, error: /malformed .*xtrabackup_binlog_info: expected '<binlog file> <position> \[<GTID set>\]'/ },
        { name: "a binlog_info with a broken GTID", files: { xtrabackup_binlog_info: "mysql-bin.000002\t799\t0-100-x\n" }, error: /malformed GTID position '0-100-x'/ },
        { name: "a slave_info without a position", files: { xtrabackup_slave_info: "SET GLOBAL something_else = 1;\n" }, error: /malformed .*xtrabackup_slave_info: neither gtid_slave_pos nor MASTER_LOG_FILE/ },
    ];
    for (const c of cases) {
        it(`9c. a clone with ${c.name} fails clearly, keeps no marker, and the server refuses to start`, async function () {
            // A fake peer: pod 0's sidecar is replaced by ncat serving a crafted xbstream.
            const source = fs.mkdtempSync(path.join(cluster.workDir, "fake-donor-"));
            fs.chmodSync(source, 0o755);
            const files: Record<string, string> = { ...COMPLETE, ...c.files };
            for (const [file, content] of Object.entries(files)) fs.writeFileSync(path.join(source, file), content, { mode: 0o644 });
            const stream = path.join(source, "stream.xb");
            fs.writeFileSync(stream, execFileSync("mbstream", ["-c", ...Object.keys(files)], { cwd: source }), { mode: 0o644 });

            await cluster.stopContainer(0, "clone-server");
            let fake: ChildProcess | undefined;
            try {
                fake = cluster.spawnInPod(0, ["ncat", "--listen", "--keep-open", "--send-only", String(CLONE_STREAM_PORT), "-c", `cat ${stream}`], "fake-donor");
                await waitFor("the fake peer to listen", 10000, async () =>
                    /:0CEB /.test(fs.readFileSync(`/proc/${fake!.pid}/net/tcp`, "utf8")) ? true : undefined,
                );
                cluster.deleteVolume(1);
                const logBefore = cluster.logs(1, "clone-from-peer").length;
                const failure = await cluster.startPod(1).then(() => undefined, (e: unknown) => e);
                assert.ok(failure instanceof PodInitError && failure.container === "clone-from-peer", String(failure));
                assert.strictEqual(failure.code, 1);
                const log = failure.log.slice(logBefore);
                assert.match(log, c.error);
                assert.strictEqual(log.match(/attempt \d+\//g)?.length, 1, "a malformed clone was retried");
            } finally {
                if (fake) {
                    signalGroup(fake, "SIGTERM");
                    await exited(fake);
                }
                if (cluster.isRunning(1)) await cluster.stopPod(1);
                cluster.startContainer(0, "clone-server");
            }
            const state = fs.readdirSync(cluster.dataDir(1)).filter((f) => f.startsWith(".pod-"));
            assert.deepStrictEqual(state, [".pod-clone-staging"], "a marker or a replication position was written");

            const server = await cluster.runStandalone({
                hostname: "mysql-1",
                dataDir: cluster.dataDir(1),
                command: "bash /mnt/config-map/init-config.sh && exec bash /mnt/config-map/run-mysqld.sh",
            });
            assert.strictEqual(server.code, 1, server.stderr);
            assert.match(server.stderr, /no completed clone in \/var\/lib\/mysql: clone-from-peer must finish first/);
        });
    }
});
