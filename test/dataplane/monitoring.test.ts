/**
 * What the `metrics` container exports, scraped from real pods: Debian's
 * prometheus-mysqld-exporter runs on the host against each pod's server socket, as the
 * component's `metrics` account that pod 0's bootstrap created, and is scraped over HTTP on
 * loopback.
 *
 * Debian 12 ships mysqld-exporter 0.14.0; the component pins the image v0.20.0. For MariaDB
 * both ask the same statements first (SHOW GLOBAL STATUS / VARIABLES, SHOW ALL SLAVES STATUS)
 * and name every series after the server's own column, so the series the alert rules read
 * (mysql_up, mysql_slave_status_slave_{io,sql}_running, _seconds_behind_master,
 * _last_sql_errno) are the same. For MySQL 8.4 and later they differ: 0.14 has no SHOW REPLICA
 * STATUS (added in 0.16), so this exporter shows no replica series on the mysql engine, and
 * that engine's case checks the server series only.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { ChildProcess } from "child_process";
import { Cluster } from "./harness/cluster";
import { exited, signalGroup, startProcess, waitFor } from "./harness/process";

const EXPORTER = "prometheus-mysqld-exporter";

interface EngineCase {
    engine: string;
    /** Whether this exporter version reads the engine's replica status (see above). */
    replicaSeries: { running: string[]; lag: string } | undefined;
}

// The engines main's harness runs today; the mysql case joins when the harness runs MySQL.
const CASES: EngineCase[] = [
    {
        engine: "mariadb",
        replicaSeries: {
            running: ["mysql_slave_status_slave_io_running", "mysql_slave_status_slave_sql_running"],
            lag: "mysql_slave_status_seconds_behind_master",
        },
    },
];

/** A loopback port nobody listens on now. */
async function freePort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
}

function get(url: string): Promise<string> {
    return new Promise((resolve, reject) => {
        http.get(url, (res) => {
            let body = "";
            res.on("data", (chunk) => (body += chunk));
            res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}`))));
        }).on("error", reject);
    });
}

/** Samples of the exposition text, by series name (labels dropped: one target per exporter). */
function samples(text: string): Map<string, number[]> {
    const found = new Map<string, number[]>();
    for (const line of text.split("\n")) {
        const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
        if (!match) continue;
        found.set(match[1], [...(found.get(match[1]) ?? []), Number(match[3])]);
    }
    return found;
}

for (const { engine, replicaSeries } of CASES) {
    describe(`[${engine}] data plane: metrics scraped by mysqld-exporter`, function () {
        let cluster: Cluster;
        const exporters: ChildProcess[] = [];
        const urls: string[] = [];

        /** Starts an exporter for pod n on its server socket, as the metrics account. */
        async function startExporter(n: number): Promise<string> {
            const cnf = path.join(cluster.workDir, "credentials", `exporter-${n}.cnf`);
            // The socket of pod n as the harness lays it out (its /run/mysqld, bind-mounted).
            const socket = path.join(cluster.workDir, "pods", cluster.podName(n), "run", "mysqld.sock");
            fs.writeFileSync(cnf, `[client]\nuser=${cluster.metrics.user}\npassword=${cluster.metrics.password}\nsocket=${socket}\n`, { mode: 0o600 });
            const port = await freePort();
            const log = fs.openSync(path.join(cluster.workDir, "logs", `exporter-${n}.log`), "a");
            exporters.push(
                startProcess(EXPORTER, [`--config.my-cnf=${cnf}`, `--web.listen-address=127.0.0.1:${port}`], {
                    env: { PATH: process.env.PATH },
                    stdio: ["ignore", log, log],
                }),
            );
            const url = `http://127.0.0.1:${port}/metrics`;
            await waitFor(`exporter of pod ${n} to answer`, 30000, () => get(url).catch(() => undefined), 200);
            return url;
        }

        before(async function () {
            cluster = await Cluster.create();
            await cluster.startPod(0);
            await cluster.startPod(1);
            await cluster.sql(0, "CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY); INSERT INTO d.t VALUES (1);");
            await cluster.waitCaughtUp(1);
            for (const n of [0, 1]) urls.push(await startExporter(n));
        });

        after(async function () {
            for (const child of exporters) {
                signalGroup(child, "SIGTERM");
                await exited(child);
            }
            if (cluster) await cluster.destroy();
        });

        it("reports mysql_up 1 and server activity on every pod, through the metrics account's grants", async () => {
            for (const url of urls) {
                const scraped = samples(await get(url));
                assert.deepStrictEqual(scraped.get("mysql_up"), [1], url);
                assert.ok((scraped.get("mysql_global_status_queries")?.[0] ?? 0) > 0, `${url}: queries counter`);
                assert.ok((scraped.get("mysql_global_status_threads_running")?.[0] ?? 0) >= 1, `${url}: threads running`);
                assert.ok((scraped.get("mysql_global_status_threads_connected")?.[0] ?? 0) >= 1, `${url}: connections`);
            }
        });

        it("exports no replica status on the primary", async () => {
            const names = [...samples(await get(urls[0])).keys()];
            assert.deepStrictEqual(names.filter((name) => name.startsWith("mysql_slave_status_")), []);
        });

        if (replicaSeries) {
            it("exports running replication threads, lag and no apply error on a replica", async () => {
                const scraped = samples(await get(urls[1]));
                for (const name of replicaSeries.running) assert.deepStrictEqual(scraped.get(name), [1], name);
                const [lag] = scraped.get(replicaSeries.lag) ?? [];
                assert.ok(lag !== undefined && lag >= 0, `${replicaSeries.lag} is exported (got ${lag})`);
                assert.deepStrictEqual(scraped.get("mysql_slave_status_last_sql_errno"), [0]);
            });

            it("shows a stopped SQL thread as 0, which MySQLReplicationStopped reads, and 1 again once restarted", async () => {
                await cluster.sql(1, "STOP SLAVE SQL_THREAD");
                try {
                    await waitFor("the SQL thread to show as stopped", 30000, async () =>
                        samples(await get(urls[1])).get(replicaSeries.running[1])?.[0] === 0 ? true : undefined);
                    // The rules read the lag only while the SQL thread runs: the server reports NULL.
                    assert.strictEqual(samples(await get(urls[1])).get(replicaSeries.lag), undefined);
                } finally {
                    await cluster.sql(1, "START SLAVE SQL_THREAD");
                }
                await waitFor("the SQL thread to show as running", 30000, async () =>
                    samples(await get(urls[1])).get(replicaSeries.running[1])?.[0] === 1 ? true : undefined);
            });
        }
    });
}
