/**
 * What the `metrics` container exports, scraped from real pods of both engines:
 * mysqld_exporter runs on the host against each pod's server socket, as the component's
 * `metrics` account that pod 0's bootstrap created, and is scraped over HTTP on loopback.
 *
 * The exporter is the image's own version (prom/mysqld-exporter:v0.19.0), built from the
 * same Go module (scripts/toolchain.sh --only mysqld-exporter): the image is that binary in
 * a busybox base, so what it asks the server and how it names the series are the same. It
 * asks MySQL 8.4 and later `SHOW REPLICA STATUS` and MariaDB `SHOW ALL SLAVES STATUS`, and
 * names every series after the server's own column, so the replica series differ by engine
 * (the alert rules match both names).
 */
import * as assert from "assert";
import { Engine } from "../../components/mysql/engine";
import { Cluster } from "./harness/cluster";
import { enginesUnderTest } from "./harness/engines";
import { waitFor } from "./harness/process";
import { Exporters, get, samples } from "../monitoring/exporter";

interface EngineCase {
    /** Replica-status series: the two thread states and the lag. */
    replicaSeries: { running: string[]; lag: string };
    /** The engine's statements that stop and start a replica's SQL thread. */
    sqlThread: { stop: string; start: string };
}

const CASES: Record<Engine, EngineCase> = {
    mysql: {
        replicaSeries: {
            running: ["mysql_slave_status_replica_io_running", "mysql_slave_status_replica_sql_running"],
            lag: "mysql_slave_status_seconds_behind_source",
        },
        sqlThread: { stop: "STOP REPLICA SQL_THREAD", start: "START REPLICA SQL_THREAD" },
    },
    mariadb: {
        replicaSeries: {
            running: ["mysql_slave_status_slave_io_running", "mysql_slave_status_slave_sql_running"],
            lag: "mysql_slave_status_seconds_behind_master",
        },
        sqlThread: { stop: "STOP SLAVE SQL_THREAD", start: "START SLAVE SQL_THREAD" },
    },
};

for (const engine of enginesUnderTest()) {
    const { replicaSeries, sqlThread } = CASES[engine];
    describe(`[${engine}] data plane: metrics scraped by mysqld-exporter`, function () {
        let cluster: Cluster;
        let exporters: Exporters | undefined;
        const urls: string[] = [];

        before(async function () {
            cluster = await Cluster.create({ engine });
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
    });
}
