/**
 * Scenarios 1-5 and 7 on real servers of each engine run by the unchanged pod scripts:
 * bring-up, read-only replicas, scaling with kept volumes, SIGKILL of a replica and of the
 * primary under write load, and a replica whose volume was emptied. One cluster per engine,
 * used in order; equality is CHECKSUM TABLE after catch-up.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Cluster, macFor } from "./harness/cluster";
import { enginesUnderTest } from "./harness/engines";
import { WriteLoad } from "./harness/load";
import { run } from "./harness/process";

const TABLES = ["test.messages", "test.rows", "test.load"];

async function assertAllEqual(cluster: Cluster, pods: number[]): Promise<void> {
    for (const n of pods) if (n !== 0) await cluster.waitCaughtUp(n);
    const primary = await cluster.checksums(0, TABLES);
    for (const n of pods) {
        assert.deepStrictEqual(await cluster.checksums(n, TABLES), primary, `pod ${n} differs from the primary`);
    }
}

function markerState(cluster: Cluster, n: number): { ino: number; mtimeMs: number; content: string } {
    const file = path.join(cluster.dataDir(n), ".pod-clone-complete");
    const stat = fs.statSync(file);
    return { ino: stat.ino, mtimeMs: stat.mtimeMs, content: fs.readFileSync(file, "utf8") };
}

function count(text: string, needle: string): number {
    return text.split(needle).length - 1;
}

/**
 * How many backups each donor's `clone-server` sidecar has streamed (mariadb). A MySQL donor
 * is its server itself (CLONE over 3306), which keeps no count: there, the unchanged clone
 * markers are the proof that no pod cloned again.
 */
function donorsServed(cluster: Cluster, donors: number[]): number[] | undefined {
    if (!cluster.containerNames.includes("clone-server")) return undefined;
    return donors.map((n) => count(cluster.logs(n, "clone-server"), "streaming a full backup"));
}

/** The MAC of pod n's eth0, as the pod's network namespace has it. */
async function podMac(cluster: Cluster, n: number): Promise<string> {
    const r = await run("ip", ["-n", cluster.podNetns(n), "-o", "link", "show", "eth0"]);
    const match = /link\/ether ([0-9a-f:]{17})/.exec(r.stdout);
    if (r.code !== 0 || !match) throw new Error(`no MAC on pod ${n}'s eth0: ${r.stdout}${r.stderr}`);
    return match[1];
}

/** The client namespace's ARP entry for pod n's address (empty when it has none). */
async function clientNeighbour(cluster: Cluster, n: number): Promise<string> {
    const r = await run("ip", ["-n", cluster.clientNetns, "neigh", "show", cluster.address(n)]);
    assert.strictEqual(r.code, 0, r.stderr);
    return /lladdr ([0-9a-f:]{17})/.exec(r.stdout)?.[1] ?? "";
}

for (const engine of enginesUnderTest()) describe(`[${engine}] data plane: replication run by the pod scripts`, function () {
    let cluster: Cluster;

    before(async function () {
        cluster = await Cluster.create({ engine });
    });

    after(async function () {
        if (cluster) await cluster.destroy();
    });

    it("1. brings up 3 pods in order; a row written on the primary is read on every replica; server_id = 100 + ordinal", async function () {
        const started = Date.now();
        await cluster.scaleTo(3);
        console.log(`      bring-up of 3 pods (OrderedReady): ${((Date.now() - started) / 1000).toFixed(1)} s`);

        await cluster.sql(0, [
            "CREATE DATABASE test",
            "CREATE TABLE test.messages (message VARCHAR(250))",
            "INSERT INTO test.messages VALUES ('hello')",
            "CREATE TABLE test.rows (id INT PRIMARY KEY, payload VARCHAR(64))",
            "CREATE TABLE test.load (id INT PRIMARY KEY, payload VARCHAR(64))",
        ].join(";\n") + ";");
        for (const n of [1, 2]) {
            await cluster.waitCaughtUp(n);
            assert.deepStrictEqual(await cluster.sql(n, "SELECT message FROM test.messages"), [["hello"]]);
        }
        for (const n of [0, 1, 2]) {
            assert.strictEqual(await cluster.value(n, "SELECT @@server_id"), String(100 + n));
        }
    });

    it("2. replicas reject writes from an application user and from root", async function () {
        const app = { user: "app", password: "app pass 'x'" };
        await cluster.sql(0, `CREATE USER 'app'@'%' IDENTIFIED BY 'app pass ''x'''; GRANT ALL ON test.* TO 'app'@'%';`);
        await cluster.sql(0, "INSERT INTO test.messages VALUES ('from app')", app);
        for (const n of [1, 2]) {
            await cluster.waitCaughtUp(n);
            for (const account of [app, cluster.root]) {
                await assert.rejects(
                    cluster.sql(n, "INSERT INTO test.messages VALUES ('on a replica')", account),
                    /-read-only option/,
                    `${account.user} wrote on replica ${n}`,
                );
            }
            // Root cannot write around the binlog either.
            await assert.rejects(cluster.sql(n, "SET SESSION sql_log_bin = 0; CREATE DATABASE sneaky"), /-read-only option/);
            // On MariaDB root cannot lift read_only (READ_ONLY ADMIN is revoked); on MySQL root
            // holds SYSTEM_VARIABLES_ADMIN and could turn super_read_only off, as documented.
            if (engine === "mariadb") await assert.rejects(cluster.sql(n, "SET GLOBAL read_only = OFF"), /READ_ONLY ADMIN/);
            assert.deepStrictEqual(await cluster.sql(n, "SELECT COUNT(*) FROM test.messages WHERE message = 'on a replica'"), [["0"]]);
        }
        await assertAllEqual(cluster, [0, 1, 2]);
    });

    it("3. scales to 5 by cloning, back to 3 keeping volumes, and to 5 again without a fresh clone", async function () {
        const values = Array.from({ length: 500 }, (_, i) => `(${i}, SHA2('${i}', 256))`).join(",");
        await cluster.sql(0, `INSERT INTO test.rows VALUES ${values};`);

        await cluster.scaleTo(5);
        assert.match(cluster.logs(3, "clone-from-peer"), /clone complete in \d+s from mysql-2\.mysql\b/);
        assert.match(cluster.logs(3, "clone-from-peer"), /cloning from mysql-2\.mysql\b/);
        assert.match(cluster.logs(4, "clone-from-peer"), /cloning from mysql-3\.mysql\b/);
        for (const n of [3, 4]) {
            assert.strictEqual(await cluster.value(n, "SELECT COUNT(*) FROM test.rows"), "500");
            assert.strictEqual(await cluster.value(n, "SELECT @@server_id"), String(100 + n));
        }
        await assertAllEqual(cluster, [0, 1, 2, 3, 4]);
        const markers = [markerState(cluster, 3), markerState(cluster, 4)];
        const backupsServed = donorsServed(cluster, [2, 3]);
        if (backupsServed) assert.deepStrictEqual(backupsServed, [1, 1]);

        await cluster.scaleTo(3);
        assert.deepStrictEqual(cluster.runningPods(), [0, 1, 2]);
        for (const n of [3, 4]) assert.ok(fs.existsSync(path.join(cluster.dataDir(n), ".pod-clone-complete")), `volume of pod ${n} was not kept`);
        await cluster.sql(0, "INSERT INTO test.rows VALUES (1000, 'written while pods 3 and 4 were gone');");

        await cluster.scaleTo(5);
        assert.deepStrictEqual([markerState(cluster, 3), markerState(cluster, 4)], markers, "a clone marker changed: the pod cloned again");
        for (const n of [3, 4]) assert.match(cluster.logs(n, "clone-from-peer"), /keeping the data volume as it is/);
        assert.deepStrictEqual(donorsServed(cluster, [2, 3]), backupsServed, "a donor served another backup");
        await assertAllEqual(cluster, [0, 1, 2, 3, 4]);
        assert.strictEqual(await cluster.value(4, "SELECT payload FROM test.rows WHERE id = 1000"), "written while pods 3 and 4 were gone");
    });

    it("4. a replica SIGKILLed during a write load resumes replication without a duplicate-key stop", async function () {
        const load = new WriteLoad(cluster, 0, "test.load", 1, 3000).start();
        await load.acknowledgedAtLeast(300);
        await cluster.killServer(2, "SIGKILL");
        await load.acknowledgedAtLeast(600);
        await cluster.waitReady(2);
        await load.finished();
        assert.strictEqual(load.acknowledged.length, 3000, `the load stopped early: ${load.stderr}`);
        assert.ok(cluster.restarts(2, "mysql") >= 1);
        await assertAllEqual(cluster, [0, 1, 2, 3, 4]);
        assert.strictEqual(await cluster.value(2, "SELECT COUNT(*) FROM test.load"), "3000");
        assert.ok(await cluster.isReady(2), "replica 2 is not Ready: replication threads stopped");
    });

    it("4b. a replica pod restarted (deleted gracefully, started again) keeps its volume, does not clone again, and catches up", async function () {
        const marker = markerState(cluster, 1);
        const logFrom = cluster.logs(1, "clone-from-peer").length;
        await cluster.stopPod(1);
        await cluster.sql(0, "INSERT INTO test.messages VALUES ('while pod 1 was down');");
        await cluster.startPod(1);
        assert.deepStrictEqual(markerState(cluster, 1), marker, "the clone marker changed: the pod cloned again");
        assert.match(cluster.logs(1, "clone-from-peer").slice(logFrom), /keeping the data volume as it is/);
        await assertAllEqual(cluster, [0, 1, 2, 3, 4]);
        assert.strictEqual(await cluster.value(1, "SELECT COUNT(*) FROM test.messages WHERE message = 'while pod 1 was down'"), "1");
    });

    it("5. the primary SIGKILLed during a write load keeps every acknowledged row; replicas reconnect and converge", async function () {
        const load = new WriteLoad(cluster, 0, "test.load", 10001, 20000).start();
        await load.acknowledgedAtLeast(500);
        await cluster.killServer(0, "SIGKILL");
        await load.finished();
        assert.ok(load.acknowledged.length < 20000, "the load was not interrupted by the kill");
        const acknowledged = load.acknowledged;

        await cluster.waitReady(0);
        const stored = new Set((await cluster.sql(0, "SELECT id FROM test.load WHERE id > 10000")).map(([id]) => Number(id)));
        const lost = acknowledged.filter((id) => !stored.has(id));
        assert.deepStrictEqual(lost, [], `${lost.length} acknowledged rows lost`);
        console.log(`      ${acknowledged.length} rows acknowledged before SIGKILL, all present after restart (${stored.size} stored)`);

        await cluster.sql(0, "INSERT INTO test.messages VALUES ('after the primary restarted');");
        for (const n of [1, 2, 3, 4]) await cluster.waitReady(n, 60000);
        await assertAllEqual(cluster, [0, 1, 2, 3, 4]);
        for (const n of [1, 2, 3, 4]) {
            assert.strictEqual(await cluster.value(n, "SELECT COUNT(*) FROM test.messages WHERE message = 'after the primary restarted'"), "1");
        }
    });

    it("7. a replica whose volume was emptied clones again and rejoins", async function () {
        // The client has just talked to pod 2: its ARP cache holds pod 2's MAC.
        assert.strictEqual(await cluster.value(2, "SELECT 1"), "1");
        const macBefore = await podMac(cluster, 2);
        assert.strictEqual(macBefore, macFor(cluster.address(2)));
        assert.strictEqual(await clientNeighbour(cluster, 2), macBefore);
        await cluster.stopPod(2);
        cluster.deleteVolume(2);
        await cluster.sql(0, "INSERT INTO test.messages VALUES ('while pod 2 had no volume');");
        await cluster.startPod(2);
        // Restarted on a new veth, the pod keeps its MAC: the client's cached entry still
        // reaches it (a new MAC left it unreachable for ~5 s, past the client's timeout).
        assert.strictEqual(await podMac(cluster, 2), macBefore);
        assert.strictEqual(await cluster.value(2, "SELECT 1"), "1");
        const log = cluster.logs(2, "clone-from-peer");
        assert.strictEqual((log.match(/clone complete in \d+s from mysql-1\.mysql\b/g) ?? []).length, 2, "pod 2 did not clone a second time");
        assert.strictEqual(log.match(/cloning from mysql-1\.mysql\b/g)?.length, 2);
        await assertAllEqual(cluster, [0, 1, 2, 3, 4]);
        assert.strictEqual(await cluster.value(2, "SELECT COUNT(*) FROM test.messages WHERE message = 'while pod 2 had no volume'"), "1");
    });
});
