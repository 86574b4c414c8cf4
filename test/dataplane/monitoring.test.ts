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
import { Cluster } from "./harness/cluster";
import { waitFor } from "./harness/process";
import { Exporters, get, samples } from "../monitoring/exporter";

interface EngineCase {
    engine: string;
    /** The replica series, when this exporter version reads the engine's replica status (see above). */
    replicaSeries: { running: string[]; lag: string } | undefined;
    /** The engine's statements that stop and start a replica's SQL thread. */
    sqlThread: { stop: string; start: string };
}

// The engines main's harness runs today; the mysql case joins when the harness runs MySQL.
const CASES: EngineCase[] = [
    {
        engine: "mariadb",
        replicaSeries: {
            running: ["mysql_slave_status_slave_io_running", "mysql_slave_status_slave_sql_running"],
            lag: "mysql_slave_status_seconds_behind_master",
        },
        sqlThread: { stop: "STOP SLAVE SQL_THREAD", start: "START SLAVE SQL_THREAD" },
    },
];

for (const { engine, replicaSeries, sqlThread } of CASES) {
    describe(`[${engine}] data plane: metrics scraped by mysqld-exporter`, function () {
        let cluster: Cluster;
        let exporters: Exporters | undefined;
        const urls: string[] = [];

        before(async function () {
            cluster = await Cluster.create();
            await cluster.startPod(0);
            await cluster.startPod(1);
            await cluster.sql(0, "CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY); INSERT INTO d.t VALUES (1);");
            await cluster.waitCaughtUp(1);
            exporters = new Exporters(cluster);
            for (const n of [0, 1]) urls.push(await exporters.start(n));
        });

        after(async function () {
            await exporters?.stop();
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
                await cluster.sql(1, sqlThread.stop);
                try {
                    await waitFor("the SQL thread to show as stopped", 30000, async () =>
                        samples(await get(urls[1])).get(replicaSeries.running[1])?.[0] === 0 ? true : undefined);
                    // The rules read the lag only while the SQL thread runs: the server reports NULL.
                    assert.strictEqual(samples(await get(urls[1])).get(replicaSeries.lag), undefined);
                } finally {
                    await cluster.sql(1, sqlThread.start);
                }
                await waitFor("the SQL thread to show as running", 30000, async () =>
                    samples(await get(urls[1])).get(replicaSeries.running[1])?.[0] === 1 ? true : undefined);
            });
        }
    });
}
