/**
 * The primary's initialisation state machine (run-mysqld.sh on pod 0): an initialisation
 * killed halfway is wiped and redone on the container's restart, and data that the script
 * did not create is never wiped.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Cluster } from "./harness/cluster";
import { enginesUnderTest } from "./harness/engines";
import { waitFor } from "./harness/process";

for (const engine of enginesUnderTest()) describe(`[${engine}] data plane: initialising the primary`, function () {
    let cluster: Cluster;

    before(async function () {
        cluster = await Cluster.create({ engine });
    });

    after(async function () {
        if (cluster) await cluster.destroy();
    });

    it("an initialisation killed halfway is wiped and redone when the container restarts", async function () {
        const data = cluster.dataDir(0);
        await cluster.startPod(0, { waitReady: false });
        // Killed once the system tables exist but before the accounts are complete.
        await waitFor("initialisation to be under way", 60000, async () =>
            fs.existsSync(path.join(data, ".pod-init-started")) && fs.existsSync(path.join(data, "mysql")) ? true : undefined, 5);
        await cluster.killContainer(0, cluster.spec.server.name, "SIGKILL");
        assert.ok(!fs.existsSync(path.join(data, ".pod-init-complete")), "the kill came too late: initialisation had completed");

        await cluster.waitReady(0);
        const log = cluster.logs(0, cluster.spec.server.name);
        assert.match(log, /wiping \d+ entries from \/var\/lib\/mysql/);
        assert.strictEqual(log.split("initialising a new datadir for the primary").length - 1, 2);
        assert.ok(fs.existsSync(path.join(data, ".pod-init-complete")));
        assert.ok(!fs.existsSync(path.join(data, ".pod-init-started")));
        assert.deepStrictEqual(
            await cluster.sql(0, "SELECT user, host FROM mysql.user WHERE user IN ('root', 'replicator') ORDER BY user, host"),
            [["replicator", "%"], ["root", "%"], ["root", "localhost"]],
        );
        // The backup and metrics accounts' hosts differ by engine (a MySQL clone donor is reached over the network).
        assert.strictEqual(await cluster.value(0, "SELECT COUNT(DISTINCT user) FROM mysql.user WHERE user IN ('backup', 'metrics')"), "2");
    });

    it("data on pod 0's volume that the script did not create is kept, and the server is not started", async function () {
        const data = path.join(cluster.workDir, "foreign-volume");
        fs.mkdirSync(data);
        fs.writeFileSync(path.join(data, "ibdata1"), "somebody else's data");
        const r = await cluster.runStandalone({
            hostname: "mysql-0",
            dataDir: data,
            command: "bash /mnt/config-map/init-config.sh && exec bash /mnt/config-map/run-mysqld.sh",
        });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /holds data that this script did not create .* refusing to initialise over it/);
        assert.deepStrictEqual(r.dataFiles, ["ibdata1"]);
        assert.strictEqual(fs.readFileSync(path.join(data, "ibdata1"), "utf8"), "somebody else's data");
    });
});
