/**
 * Scenarios 6 and 8 on each engine: a clone interrupted halfway is redone from scratch on
 * the next start (6: the recipient killed; 6b: the donor killed, i.e. the process sending
 * the data: mariabackup in the MariaDB donor's sidecar, the MySQL donor's server itself;
 * 6c: the donor cut off the network with nothing closed), and a clone that starts before
 * its donor serves retries until it can.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Cluster, PodInitError } from "./harness/cluster";
import { enginesUnderTest } from "./harness/engines";
import { sleep, waitFor } from "./harness/process";

const TABLES = ["test.blobs", "test.messages"];

function directoryBytes(dir: string): number {
    if (!fs.existsSync(dir)) return 0;
    let total = 0;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        total += entry.isDirectory() ? directoryBytes(full) : fs.statSync(full).size;
    }
    return total;
}

async function assertEqualToPrimary(cluster: Cluster, n: number): Promise<void> {
    await cluster.waitCaughtUp(n);
    assert.deepStrictEqual(await cluster.checksums(n, TABLES), await cluster.checksums(0, TABLES), `pod ${n} differs from the primary`);
}

/**
 * The container that serves clones to the next pod: MariaDB's `clone-server` sidecar, or
 * for MySQL (CLONE over 3306) the server container itself.
 */
function donorContainer(cluster: Cluster): string {
    return cluster.containerNames.includes("clone-server") ? "clone-server" : cluster.spec.server.name;
}

/** Kills the process that sends a clone's data from pod n, mid-clone. */
async function killDonor(cluster: Cluster, n: number): Promise<void> {
    if (donorContainer(cluster) === "clone-server") {
        const senders = cluster.containerProcesses(n, "clone-server").filter((p) => p.command === "mariabackup");
        assert.strictEqual(senders.length, 1, `expected one mariabackup in pod ${n}'s clone-server, found ${JSON.stringify(senders)}`);
        process.kill(senders[0].pid, "SIGKILL");
    } else {
        await cluster.killServer(n, "SIGKILL");
    }
}

for (const engine of enginesUnderTest()) describe(`[${engine}] data plane: cloning a replica from its peer`, function () {
    let cluster: Cluster;

    before(async function () {
        cluster = await Cluster.create({ engine });
        await cluster.scaleTo(2);
        // ~160 MB of incompressible rows, so that a clone takes long enough to be interrupted.
        await cluster.sql(0, [
            "CREATE DATABASE test",
            "CREATE TABLE test.messages (message VARCHAR(250))",
            "INSERT INTO test.messages VALUES ('hello')",
            "CREATE TABLE test.blobs (id INT PRIMARY KEY, payload LONGBLOB)",
            // Both engines stop a recursive CTE after 1000 rows unless told otherwise.
            `SET SESSION ${engine === "mysql" ? "cte_max_recursion_depth" : "max_recursive_iterations"} = 200000`,
            "INSERT INTO test.blobs WITH RECURSIVE seq (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 160000) SELECT n, RANDOM_BYTES(1024) FROM seq",
        ].join(";\n") + ";");
        await cluster.waitCaughtUp(1);
    });

    after(async function () {
        if (cluster) await cluster.destroy();
    });

    it("6. a clone killed halfway is wiped and redone from scratch on the next start", async function () {
        const volume = cluster.dataDir(2);
        const starting = cluster.startPod(2).then(
            () => undefined,
            (e: unknown) => e,
        );
        const halfway = 40 * 1024 * 1024;
        await waitFor("the clone to be halfway", 60000, async () => (directoryBytes(volume) >= halfway ? true : undefined), 10);
        cluster.killInit(2, "SIGKILL");
        const failure = await starting;
        assert.ok(failure instanceof PodInitError && failure.container === "clone-from-peer" && failure.signal === "SIGKILL", String(failure));
        const partial = directoryBytes(volume);
        assert.ok(partial >= halfway, `only ${partial} bytes were received before the kill`);
        assert.ok(!fs.existsSync(path.join(cluster.dataDir(2), ".pod-clone-complete")), "an interrupted clone has a completion marker");
        await cluster.stopPod(2);

        await assert.rejects(
            cluster.runStandalone({
                hostname: "mysql-2",
                dataDir: cluster.dataDir(2),
                command: "bash /mnt/config-map/init-config.sh && exec bash /mnt/config-map/run-mysqld.sh",
            }).then((r) => (r.code === 0 ? r : Promise.reject(new Error(r.stderr)))),
            /no completed clone/,
            "the server started on a half-received clone",
        );

        const started = Date.now();
        await cluster.startPod(2);
        const seconds = (Date.now() - started) / 1000;
        const log = cluster.logs(2, "clone-from-peer");
        assert.match(log, /wiping \d+ entries from \/var\/lib\/mysql/);
        assert.match(log.split("wiping").pop() ?? "", /clone complete in \d+s from mysql-1\.mysql\b/);
        console.log(`      re-clone of ~160 MB: start to Ready ${seconds.toFixed(1)} s`);
        await assertEqualToPrimary(cluster, 2);
        assert.strictEqual(await cluster.value(2, "SELECT COUNT(*) FROM test.blobs"), "160000");
    });

    it("6b. a clone whose donor is killed mid-clone is detected and retried", async function () {
        await cluster.stopPod(2);
        cluster.deleteVolume(2);
        const logFrom = cluster.logs(2, "clone-from-peer").length;
        const starting = cluster.startPod(2);
        await waitFor("the clone to be halfway", 60000, async () => (directoryBytes(cluster.dataDir(2)) >= 40 * 1024 * 1024 ? true : undefined), 10);
        await killDonor(cluster, 1);
        await starting;

        const log = cluster.logs(2, "clone-from-peer").slice(logFrom);
        assert.match(log, /attempt 1\/\d+: cloning from mysql-1\.mysql\b/);
        assert.match(log, /attempt 2\/\d+: cloning from mysql-1\.mysql\b/);
        assert.strictEqual((log.match(/clone complete in \d+s from mysql-1\.mysql\b/g) ?? []).length, 1);
        await assertEqualToPrimary(cluster, 2);
        assert.strictEqual(await cluster.value(2, "SELECT COUNT(*) FROM test.blobs"), "160000");
    });

    it("6c. a donor cut off the network mid-clone (nothing closed) is given up, and the clone retried once it is back", async function () {
        if (cluster.isRunning(2)) await cluster.stopPod(2);
        cluster.deleteVolume(2);
        // Pod 2's log file holds the earlier tests' clones too: look at this start's part only.
        const logFrom = cluster.logs(2, "clone-from-peer").length;
        const log = () => cluster.logs(2, "clone-from-peer").slice(logFrom);
        // MariaDB's stream gives a vanished donor up by TCP keepalive after 2 min; 12 s here
        // (lib.sh's test-only knob). MySQL's CLONE gives it up by its own network timeout.
        const starting = cluster.startPod(2, { env: { STREAM_DEAD_PEER_TIMEOUT_SECONDS: "12" } });
        await waitFor("the clone to be halfway", 60000, async () => (directoryBytes(cluster.dataDir(2)) >= 40 * 1024 * 1024 ? true : undefined), 10);
        await cluster.setLink(1, false);
        const cut = Date.now();
        try {
            // Without keepalive the receiver would wait for ever: nothing closes the connection.
            // A retry is logged only once the first attempt was given up.
            await waitFor("the recipient to give the silent donor up", 120000, async () =>
                /attempt 2\/\d+: cloning from mysql-1\.mysql/.test(log()) ? true : undefined, 250);
        } finally {
            await cluster.setLink(1, true);
        }
        console.log(`      donor cut off: first attempt given up after ${((Date.now() - cut) / 1000).toFixed(1)} s`);
        await starting;
        assert.strictEqual((log().match(/clone complete in \d+s from mysql-1\.mysql\b/g) ?? []).length, 1);
        await assertEqualToPrimary(cluster, 2);
        assert.strictEqual(await cluster.value(2, "SELECT COUNT(*) FROM test.blobs"), "160000");
    });

    it("8. a clone started before its donor serves retries and succeeds without help", async function () {
        const donor = donorContainer(cluster);
        await cluster.stopContainer(2, donor);
        await cluster.sql(0, "INSERT INTO test.messages VALUES ('before pod 3');");
        const starting = cluster.startPod(3);
        await waitFor("a refused clone attempt", 60000, async () =>
            /attempt 2\/\d+: cloning from mysql-2\.mysql/.test(cluster.logs(3, "clone-from-peer")) ? true : undefined,
        );
        await sleep(1000);
        cluster.startContainer(2, donor);
        await starting;
        assert.match(cluster.logs(3, "clone-from-peer"), /clone complete in \d+s from mysql-2\.mysql\b/);
        await assertEqualToPrimary(cluster, 3);
        assert.strictEqual(await cluster.value(3, "SELECT COUNT(*) FROM test.messages WHERE message = 'before pod 3'"), "1");
    });
});
