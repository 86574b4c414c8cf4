/**
 * An engine switch over kept volumes (`engine` changed after `pulumi destroy`, which keeps the
 * claims): each engine's pods meet volumes that the other engine's real pods made, pod 0's
 * initialised datadir and a replica's completed clone, and refuse to start on them, naming the
 * engine, with every file left as it was (paths, sizes, modes, modification times).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import { ENGINES, Engine } from "../../components/mysql/engine";
import { Cluster } from "./harness/cluster";
import { enginesUnderTest } from "./harness/engines";

/** Every entry under DIR, with what a write would change, one line each. */
function snapshot(dir: string): string[] {
    const lines: string[] = [];
    const walk = (rel: string): void => {
        for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
            const entry = path.join(rel, name);
            const st = fs.lstatSync(path.join(dir, entry));
            lines.push(`${entry} ${st.mode.toString(8)} ${st.uid} ${st.size} ${st.mtimeMs}`);
            if (st.isDirectory()) walk(entry);
        }
    };
    walk("");
    return lines;
}

const SIGN: Record<Engine, { file: string; name: string }> = {
    mysql: { file: "mysql.ibd", name: "MySQL 8.0 or newer" },
    mariadb: { file: "aria_log_control", name: "MariaDB" },
};
const TITLE: Record<Engine, string> = { mysql: "MySQL", mariadb: "MariaDB" };

for (const engine of enginesUnderTest()) describe(`[${engine}] data plane: volumes the other engine made`, function () {
    const other = ENGINES.find((e) => e !== engine) as Engine;
    let cluster: Cluster;
    // Copies of the other engine's pod 0 and pod 1 volumes, made by its real pods.
    const volumes: Record<0 | 1, string> = { 0: "", 1: "" };

    before(async function () {
        const foreign = await Cluster.create({ engine: other });
        try {
            await foreign.startPod(0);
            await foreign.startPod(1);
            await foreign.stopPod(1);
            await foreign.stopPod(0);
            cluster = await Cluster.create({ engine });
            for (const n of [0, 1] as const) {
                volumes[n] = path.join(cluster.workDir, `${other}-volume-${n}`);
                execFileSync("cp", ["-a", foreign.dataDir(n), volumes[n]]);
                cluster.adoptVolume(volumes[n]);
            }
        } finally {
            await foreign.destroy();
        }
    });

    after(async function () {
        if (cluster) await cluster.destroy();
    });

    const cases = [
        { pod: 0, what: "pod 0's initialised datadir", marker: ".pod-init-complete", command: "bash /mnt/config-map/init-config.sh && exec bash /mnt/config-map/run-mysqld.sh" },
        {
            pod: 1,
            what: "a replica's completed clone",
            marker: ".pod-clone-complete",
            command: "bash /mnt/config-map/init-config.sh && bash /mnt/config-map/clone-from-peer.sh && exec bash /mnt/config-map/run-mysqld.sh",
        },
    ] as const;
    for (const c of cases) {
        it(`refuses ${other}'s ${c.what} on mysql-${c.pod}, naming the engine, and leaves every file as it was`, async function () {
            const volume = volumes[c.pod];
            // Our own markers are there: this is our data, only of the other engine.
            assert.ok(fs.existsSync(path.join(volume, c.marker)), `${c.marker} in the ${other} volume`);
            assert.ok(fs.existsSync(path.join(volume, SIGN[other].file)), `${SIGN[other].file} in the ${other} volume`);
            const before = snapshot(volume);
            const r = await cluster.runStandalone({ hostname: `mysql-${c.pod}`, dataDir: volume, command: c.command });
            assert.strictEqual(r.code, 1, r.stderr);
            assert.match(
                r.stderr,
                new RegExp(
                    `/var/lib/mysql holds a ${SIGN[other].name} datadir \\(${SIGN[other].file.replace(".", "\\.")}\\), and this pod runs ${TITLE[engine]}: ` +
                        "refusing to start on it; the volume is left as it was",
                ),
            );
            assert.deepStrictEqual(snapshot(volume), before);
        });
    }
});
