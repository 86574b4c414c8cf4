/**
 * `npm run bench` (Linux, root): seeding and replication of the component's pod scripts,
 * run by the data-plane harness against real servers of each engine (MySQL 9.7 from its
 * root filesystem, MariaDB 10.11 from the host), measured against the raw limit.
 *
 * Phases, per engine, on one harness cluster:
 *   bringUp   3 pods from empty volumes to all Ready; for each replica, a copy of its
 *             donor's datadir right after: Ready − copy = the pod's fixed cost
 *   lag       replica lag under a bounded heartbeat write load on the primary
 *   catchUp   a replica pod stopped for a fixed number of writes, restarted, until current
 *   clone     a dataset grown to three sizes on pod 0 (the largest ≥ 1 GiB in a full run); at
 *             each, a cold `cp -a` + fsync of pod 0's datadir, a new pod 1 seeded by the
 *             scripts (created → Ready), and the copy again
 * Beside the harness's bring-up it reports the real node's (3 pods on a kubelet, target < 30 s),
 * the newest line per engine that `npm run test:e2e:node` appended to bench/node-bringup.jsonl.
 * Output: a markdown table on stdout and JSON in bench/results.json (clone.mysql,
 * clone.mariadb: ratioToCopy, perPodFixedSeconds, …); the plot in docs/benchmarks-clone.png
 * and the table in docs/benchmarks.md (between the bench markers). BENCH_QUICK=1: small
 * sizes and short windows (CI: checks the bench works, not that it is fast); writes
 * bench/results.quick.json and bench/clone-scaling.quick.png only. BENCH_ENGINES=mysql (or
 * mariadb) measures one engine. Exits non-zero when any phase failed.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ENGINES, Engine } from "../components/mysql/engine";
import { Cluster } from "../test/dataplane/harness/cluster";
import { Dataset } from "./dataset";
import { LoadSampler, readMachine } from "./machine";
import { plotClone } from "./plot";
import { measureCatchUp, measureLag, READER_PAUSE_MS } from "./replication";
import { checkTargets, CloneResults, EngineResults, latestNodeBringUp, markdown, PodBringUp, Results, round } from "./report";
import { copyDatadir, directoryBytes, pageCacheCheck, seedPod } from "./transfer";

const MiB = 2 ** 20;
const quick = process.env.BENCH_QUICK === "1";
const settings = quick
    ? { sizesMiB: [16, 64], chunkRows: 4096, writesPerSecond: 50, lagWindowSeconds: 5, catchUpWrites: 500 }
    : { sizesMiB: [256, 512, 1024], chunkRows: 32768, writesPerSecond: 200, lagWindowSeconds: 30, catchUpWrites: 10000 };
const BENCH_DIR = __dirname;
const REPO = path.dirname(BENCH_DIR);
const resultsFile = path.join(BENCH_DIR, quick ? "results.quick.json" : "results.json");
const plotFile = quick ? path.join(BENCH_DIR, "clone-scaling.quick.png") : path.join(REPO, "docs", "benchmarks-clone.png");
const docFile = path.join(REPO, "docs", "benchmarks.md");
const DOC_BEGIN = "<!-- bench:results:begin -->";
const DOC_END = "<!-- bench:results:end -->";

function progress(message: string): void {
    process.stderr.write(`${new Date().toISOString()} bench: ${message}\n`);
}

function benchEngines(): Engine[] {
    const wanted = (process.env.BENCH_ENGINES ?? ENGINES.join(",")).split(",").filter((e) => e !== "");
    const unknown = wanted.filter((e) => !(ENGINES as readonly string[]).includes(e));
    if (unknown.length > 0 || wanted.length === 0) throw new Error(`BENCH_ENGINES must name engines among ${ENGINES.join(", ")} (got "${process.env.BENCH_ENGINES}")`);
    return wanted as Engine[];
}

/** 3 pods in order from empty volumes; each replica's fixed cost is its Ready time minus copying its donor's datadir. */
async function bringUp(cluster: Cluster, scratch: string): Promise<{ seconds3: number; pods: PodBringUp[] }> {
    const start = Date.now();
    const seeded = [];
    for (const n of [0, 1, 2]) seeded.push(await seedPod(cluster, n));
    const seconds3 = (Date.now() - start) / 1000;
    const pods: PodBringUp[] = [];
    for (const n of [0, 1, 2]) {
        const row: PodBringUp = { pod: cluster.podName(n), readySeconds: seeded[n].seconds, initContainerSeconds: seeded[n].initContainerSeconds };
        if (n > 0) {
            row.firstStartSeconds = seeded[n].firstStartSeconds;
            row.recipient = seeded[n].recipient;
            row.copySeconds = (await copyDatadir(cluster, n - 1, scratch)).seconds;
            row.fixedSeconds = row.readySeconds - row.copySeconds;
        }
        pods.push(row);
    }
    return { seconds3, pods };
}

/** Fills `clone.scaling` as it goes, so a failure late in the phase keeps what was measured. */
async function cloneScaling(cluster: Cluster, scratch: string, clone: CloneResults): Promise<void> {
    for (const n of [2, 1]) if (cluster.isRunning(n)) await cluster.stopPod(n);
    const dataset = await Dataset.create(cluster, settings.chunkRows);
    for (const size of settings.sizesMiB) {
        progress(`${cluster.engine}: growing the dataset to ${size} MiB of table data`);
        await dataset.growTo(size * MiB);
        // Flush dirty pages so the datadir on disk is the dataset (the copy reads files, not the buffer pool).
        await cluster.sql(0, "SET GLOBAL innodb_max_dirty_pages_pct = 0;");
        await waitClean(cluster);
        const dataMiB = directoryBytes(cluster.dataDir(0)) / MiB;
        progress(`${cluster.engine}: datadir ${dataMiB.toFixed(0)} MiB: copy, seed pod 1, copy`);
        const before = await copyDatadir(cluster, 0, scratch);
        const seeded = await seedPod(cluster, 1);
        await cluster.waitCaughtUp(1, 120000);
        const [onReplica, onPrimary] = [await dataset.count(1), await dataset.count(0)];
        if (onReplica !== onPrimary) throw new Error(`the clone holds ${onReplica} rows, the primary ${onPrimary}`);
        await cluster.stopPod(1);
        cluster.deleteVolume(1);
        const after = await copyDatadir(cluster, 0, scratch);
        const copySeconds = (before.seconds + after.seconds) / 2;
        const cloneSeconds = seeded.seconds - clone.perPodFixedSeconds;
        clone.scaling.push({ dataMiB, seedSeconds: seeded.seconds, cloneSeconds, copySeconds, ratioToCopy: cloneSeconds / copySeconds });
        Object.assign(clone, {
            dataMiB,
            tableDataMiB: dataset.tableBytes() / MiB,
            rows: dataset.rows,
            seedSeconds: seeded.seconds,
            cloneSeconds,
            copySeconds,
            copyRunsSeconds: [before.seconds, after.seconds],
            ratioToCopy: cloneSeconds / copySeconds,
        });
        progress(`${cluster.engine}: pod 1 Ready after ${seeded.seconds.toFixed(2)} s, copy ${before.seconds.toFixed(2)}/${after.seconds.toFixed(2)} s`);
    }
    await cluster.sql(0, "SET GLOBAL innodb_max_dirty_pages_pct = DEFAULT;");
    clone.sourceResidentMiBMax = pageCacheCheck.maxResidentBytes / MiB;
    clone.evictions = pageCacheCheck.evictions;
}

/** Waits until the primary's buffer pool has (almost) no dirty pages left (bounded). */
async function waitClean(cluster: Cluster): Promise<void> {
    const deadline = Date.now() + 300000;
    const dirty = async () => Number((await cluster.sql(0, "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'"))[0][1]);
    while ((await dirty()) > 16) {
        if (Date.now() > deadline) throw new Error("the primary still has dirty pages after 300 s");
        await new Promise((r) => setTimeout(r, 500));
    }
}

function updateDoc(table: string): void {
    if (!fs.existsSync(docFile)) return;
    const doc = fs.readFileSync(docFile, "utf8");
    const begin = doc.indexOf(DOC_BEGIN);
    const end = doc.indexOf(DOC_END);
    if (begin < 0 || end < begin) throw new Error(`${docFile} lacks the ${DOC_BEGIN} … ${DOC_END} markers`);
    fs.writeFileSync(docFile, `${doc.slice(0, begin + DOC_BEGIN.length)}\n${table}${doc.slice(end)}`);
}

async function main(): Promise<number> {
    const startedAt = new Date();
    const load = new LoadSampler();
    const workRoot = fs.mkdtempSync(path.join(os.tmpdir(), "bench-"));
    const machine = readMachine(workRoot);
    const results: Results = {
        mode: quick ? "quick" : "full",
        startedAt: startedAt.toISOString(),
        finishedAt: "",
        totalSeconds: 0,
        machine,
        load: { mean1m: 0, max1m: 0, samples: 0, note: "" },
        method: {
            pageCache:
                "cold source on both sides: /proc/sys/vm/drop_caches is not writable here, so before each copy and each seeding every file of the source datadir is written back (sync FILE…), evicted (posix_fadvise DONTNEED via dd iflag=nocache) and checked with fincore",
            copy: "cp -a of the donor's datadir (server running) to the same filesystem, then fsync of the copied files only (find | xargs sync --), never a global sync; at each size run before and after the seeding, mean used",
            fixed: "per-pod fixed cost = a replica's pod created → Ready (bring-up, empty volumes) − cp -a + fsync of its donor's datadir at that moment: everything except moving the data, with the data charged at the copy's speed; the worst of pods 1 and 2",
            clone: "a new pod 1 on an empty volume, seeded by the scripts from pod 0, timed pod created → Ready (readiness probe run back to back); moving data = that − the engine's per-pod fixed cost; ratioToCopy = moving data / copy",
            lag: `heartbeat rows stamped by the primary with NOW(6), readers on each replica poll MAX(seq) and NOW(6) with ${READER_PAUSE_MS} ms pauses; lag = first replica time a row is visible − its primary time`,
            catchUp: "replica pod 2 stopped, N single-row autocommit inserts of 1 KiB on the primary, pod restarted; seconds from pod start until it has applied the primary's GTID state",
        },
        clone: {},
        engines: {},
        targets: [],
        failures: [],
    };
    // A phase that hangs fails the run instead of stalling it (CI has no one to press Ctrl-C).
    const phaseLimitMs = (quick ? 5 : 60) * 60000;
    const phase = async (name: string, body: () => Promise<void>) => {
        progress(`phase ${name}`);
        let timer: NodeJS.Timeout | undefined;
        const limit = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`did not finish within ${phaseLimitMs / 60000} min`)), phaseLimitMs);
        });
        try {
            await Promise.race([body(), limit]);
        } catch (e) {
            const error = e instanceof Error ? e.message : String(e);
            progress(`phase ${name} FAILED: ${error}`);
            results.failures.push({ phase: name, error });
        } finally {
            clearTimeout(timer);
        }
    };
    for (const engine of benchEngines()) {
        let cluster: Cluster | undefined;
        try {
            const workDir = fs.mkdtempSync(path.join(workRoot, `${engine}-`));
            cluster = await Cluster.create({ engine, workDir });
            const c = cluster;
            const scratch = path.join(workDir, "bench-scratch");
            fs.mkdirSync(scratch);
            const engineResults: EngineResults = { engine, version: "" };
            results.engines[engine] = engineResults;
            await phase(`${engine}.bringUp`, async () => {
                engineResults.bringUp = await bringUp(c, scratch);
                engineResults.version = await c.value(0, "SELECT VERSION()");
            });
            await phase(`${engine}.lag`, async () => {
                engineResults.lag = await measureLag(c, [1, 2], settings.writesPerSecond, settings.lagWindowSeconds);
            });
            await phase(`${engine}.catchUp`, async () => {
                engineResults.catchUp = await measureCatchUp(c, 2, settings.catchUpWrites);
            });
            await phase(`${engine}.clone`, async () => {
                const pods = engineResults.bringUp?.pods ?? [];
                if (pods.length === 0) throw new Error("no bring-up figures: the fixed cost is unknown");
                const clone: CloneResults = {
                    dataMiB: 0, tableDataMiB: 0, rows: 0, seedSeconds: 0, cloneSeconds: 0, copySeconds: 0, copyRunsSeconds: [], ratioToCopy: 0,
                    perPodFixedSeconds: Math.max(...pods.filter((p) => p.fixedSeconds !== undefined).map((p) => p.fixedSeconds!)),
                    primaryReadySeconds: pods[0].readySeconds,
                    scaling: [],
                };
                results.clone[engine] = clone;
                await cloneScaling(c, scratch, clone);
            });
        } catch (e) {
            results.failures.push({ phase: `${engine}.cluster`, error: e instanceof Error ? e.message : String(e) });
        } finally {
            await cluster?.destroy();
        }
    }
    fs.rmSync(workRoot, { recursive: true, force: true });
    const finishedAt = new Date();
    results.finishedAt = finishedAt.toISOString();
    results.totalSeconds = (finishedAt.getTime() - startedAt.getTime()) / 1000;
    const loadSummary = load.summary();
    results.load = {
        mean1m: loadSummary.mean,
        max1m: loadSummary.max,
        samples: loadSummary.samples,
        note: `sampled every 5 s; the bench itself keeps about 1–2 of the ${machine.cpus} cores busy, the rest is other work on the shared machine`,
    };
    // The real node's figure, beside the harness's: the newest the e2e-node recorded.
    const nodeFile = path.join(BENCH_DIR, "node-bringup.jsonl");
    if (fs.existsSync(nodeFile)) results.nodeBringUp = latestNodeBringUp(fs.readFileSync(nodeFile, "utf8"));
    results.targets = checkTargets(results);
    const { targets, failures, ...measured } = results;
    const rounded = round({ ...measured, targets, failures }) as Results;
    fs.writeFileSync(resultsFile, JSON.stringify(rounded, null, 2) + "\n");
    const table = markdown(rounded);
    process.stdout.write(table);
    try {
        if (Object.keys(results.clone).length > 0) {
            plotClone(rounded, plotFile);
            progress(`plot written to ${path.relative(REPO, plotFile)}`);
        }
        if (!quick && results.failures.length === 0) updateDoc(table);
    } catch (e) {
        results.failures.push({ phase: "output", error: e instanceof Error ? e.message : String(e) });
        progress(`output FAILED: ${e instanceof Error ? e.message : String(e)}`);
    }
    progress(`results written to ${path.relative(REPO, resultsFile)}`);
    return results.failures.length === 0 ? 0 : 1;
}

main().then(
    (code) => process.exit(code),
    (e) => {
        console.error(e);
        process.exit(1);
    },
);
