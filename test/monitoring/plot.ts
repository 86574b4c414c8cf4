/**
 * Draws docs/monitoring.png: the dashboard's five panels (per-pod QPS, replication lag,
 * threads running, connections, data volume use) from a real data-plane run, scraped by
 * mysqld_exporter (the image's version, built by scripts/toolchain.sh) once a second. Needs root and `bash scripts/setup-dataplane.sh`:
 *
 *   npx ts-node --transpile-only test/monitoring/plot.ts docs/monitoring.png
 *
 * The run: three MariaDB pods; a write load on the primary from 10 s; reads on the
 * replicas; pod 2's SQL thread stopped for 15 s from 30 s (its lag line breaks while it is
 * stopped, then shows the backlog it works off). Volume use is the datadir's size against a
 * nominal 1 GiB claim: there is no kubelet here to report the claim's own statistics.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Cluster } from "../dataplane/harness/cluster";
import { WriteLoad } from "../dataplane/harness/load";
import { Exporters, get, samples } from "./exporter";

const PODS = [0, 1, 2];
const SECONDS = 75;
const NOMINAL_CLAIM_BYTES = 1024 ** 3;

function datadirBytes(dir: string): number {
    return Number(execFileSync("du", ["-sb", dir], { encoding: "utf8" }).split("\t")[0]);
}

async function main(png: string): Promise<void> {
    const cluster = await Cluster.create();
    const exporters = new Exporters(cluster);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "monitoring-plot-"));
    try {
        for (const n of PODS) await cluster.startPod(n);
        await cluster.sql(0, "CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY, payload CHAR(64));");
        const urls = await Promise.all(PODS.map((n) => exporters.start(n)));
        const rows: string[] = [];
        const last = new Map<number, number>();
        let load: WriteLoad | undefined;
        let reading = true;
        const readLoop = (async () => {
            while (reading) await Promise.all([1, 2].map((n) => cluster.sql(n, "SELECT COUNT(*) FROM d.t").catch(() => undefined)));
        })();
        const start = Date.now();
        for (let second = 0; second <= SECONDS; second++) {
            if (second === 10) load = new WriteLoad(cluster, 0, "d.t", 1, 300_000).start();
            if (second === 30) await cluster.sql(2, "STOP SLAVE SQL_THREAD");
            if (second === 45) await cluster.sql(2, "START SLAVE SQL_THREAD");
            await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + second * 1000 - Date.now())));
            const columns = [String(second)];
            for (const [i, n] of PODS.entries()) {
                const scraped = samples(await get(urls[i]));
                const queries = scraped.get("mysql_global_status_queries")?.[0] ?? 0;
                const qps = last.has(n) ? queries - (last.get(n) as number) : NaN;
                last.set(n, queries);
                const lag = scraped.get("mysql_slave_status_seconds_behind_master")?.[0];
                columns.push(
                    String(qps),
                    lag === undefined ? "NaN" : String(lag),
                    String(scraped.get("mysql_global_status_threads_running")?.[0] ?? NaN),
                    String(scraped.get("mysql_global_status_threads_connected")?.[0] ?? NaN),
                    String((100 * datadirBytes(cluster.dataDir(n))) / NOMINAL_CLAIM_BYTES),
                );
            }
            rows.push(columns.join(" "));
        }
        reading = false;
        await load?.stop();
        await readLoop;
        const data = path.join(dir, "samples.dat");
        fs.writeFileSync(data, rows.join("\n") + "\n");
        // Column of pod p's field f (1-based; column 1 is the second).
        const col = (p: number, f: number) => 2 + p * 5 + f;
        const panel = (title: string, ylabel: string, field: number, from = 0) =>
            [
                `set title "${title}"`,
                `set ylabel "${ylabel}"`,
                // ($N): a NaN sample (no lag while the SQL thread is stopped) breaks the line instead of bridging it.
                "plot " + PODS.slice(from).map((n) => `"${data}" using 1:($${col(n, field)}) with lines lw 2 lc ${n + 1} title "mysql-${n}"`).join(", "),
            ].join("\n");
        const script = [
            `set terminal pngcairo size 1200,900 font "sans,10"`,
            `set output "${png}"`,
            "set grid",
            "set key top left",
            "set xlabel \"seconds (write load on mysql-0 from 10 s; mysql-2's SQL thread stopped 30–45 s)\"",
            "set termoption noenhanced",
            "set yrange [0:*]",
            "set offsets 0, 0, graph 0.1, 0",
            `set multiplot layout 3,2 title "Replicated MariaDB, 3 pods, scraped by mysqld-exporter once a second (the dashboard's panels)"`,
            panel("Queries per second", "queries/s", 0),
            panel("Replication lag (Seconds_Behind_Master)", "seconds", 1, 1),
            panel("Threads running", "threads", 2),
            panel("Connections (Threads_connected)", "connections", 3),
            panel("Data volume used (datadir of a nominal 1 GiB claim)", "%", 4),
            "unset multiplot",
        ].join("\n");
        fs.writeFileSync(path.join(dir, "plot.gp"), script);
        execFileSync("gnuplot", [path.join(dir, "plot.gp")], { stdio: ["ignore", "ignore", "pipe"] });
    } finally {
        await exporters.stop();
        await cluster.destroy();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

if (require.main === module) {
    const [png] = process.argv.slice(2);
    if (!png) {
        console.error("usage: ts-node test/monitoring/plot.ts <output.png>");
        process.exit(2);
    }
    main(path.resolve(png)).catch((e) => {
        console.error(e);
        process.exit(1);
    });
}
