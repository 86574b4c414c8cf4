/**
 * `npm run bench` (Linux, root): seeding and replication of the component's pod scripts,
 * run by the data-plane harness against real MariaDB, measured against the raw limit.
 *
 * Phases, on one harness cluster:
 *   bringUp   3 pods from empty volumes to all Ready, with per-pod phase times
 *   lag       replica lag under a bounded heartbeat write load on the primary
 *   catchUp   a replica pod stopped for a fixed number of writes, restarted, until current
 *   clone     a dataset grown to three sizes on pod 0; at each, a cold `cp -a`+sync of pod 0's
 *             datadir, a new pod 1 cloned by the scripts, and the copy again; at the largest
 *             size, a tar-pipe copy and transfer variants beside the scripts (rounds, medians)
 * Output: a markdown table on stdout and JSON in bench/results.json; the plot in
 * docs/benchmarks-clone.png and the table in docs/benchmarks.md (between the bench
 * markers). BENCH_QUICK=1: small sizes and short windows (CI: checks the bench works, not
 * that it is fast); writes bench/results.quick.json and bench/clone-scaling.quick.png only.
 * Exits non-zero when any phase failed.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Cluster } from "../test/dataplane/harness/cluster";
import { Dataset } from "./dataset";
import { LoadSampler, readMachine } from "./machine";
import { plotClone } from "./plot";
import { measureCatchUp, measureLag, READER_PAUSE_MS } from "./replication";
import { BringUp, checkTargets, CloneResults, markdown, PodBringUp, Results, round } from "./report";
import { mysqlIds, MysqlIds } from "./shell";
import { phaseTimes, SAMPLE_MS, ServerStartSampler } from "./timeline";
import { clientAddress, cloneWithScripts, copyDatadir, directoryBytes, pageCacheCheck, pipeCopyDatadir, runVariant, VariantResult, VARIANTS } from "./transfer";

const MiB = 2 ** 20;
const quick = process.env.BENCH_QUICK === "1";
const settings = quick
    ? { sizesMiB: [16, 32, 64], chunkRows: 4096, variantRounds: 1, writesPerSecond: 50, lagWindowSeconds: 5, catchUpWrites: 500 }
    : { sizesMiB: [256, 512, 1024], chunkRows: 32768, variantRounds: 3, writesPerSecond: 200, lagWindowSeconds: 60, catchUpWrites: 10000 };
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

async function bringUp(cluster: Cluster): Promise<BringUp> {
    const pods = [0, 1, 2];
    const sampler = new ServerStartSampler(cluster, pods);
    sampler.start();
    const ready = new Map<number, number>();
    const probeMs: number[] = [];
    const start = Date.now();
    try {
        // OrderedReady as the StatefulSet does it, but with Ready detected by running the pod's
        // readiness probe back to back instead of the harness's 250 ms polling.
        for (const n of pods) {
            await cluster.startPod(n, { waitReady: false });
            for (;;) {
                const probeStart = Date.now();
                const ok = await cluster.isReady(n);
                probeMs.push(Date.now() - probeStart);
                if (ok) {
                    ready.set(n, Date.now());
                    break;
                }
                if (Date.now() - start > 300000) throw new Error(`pod ${n} not Ready within 300 s`);
            }
        }
    } finally {
        sampler.stop();
    }
    const phases = phaseTimes(cluster);
    const rows: PodBringUp[] = pods.map((n) => {
        const p = phases.get(n);
        const created = p?.created;
        const span = (container: string) => {
            const s = p?.containerStart.get(container);
            const e = p?.containerExit.get(container);
            if (s === undefined || e === undefined) throw new Error(`pod ${n}: no start/exit of ${container} in the harness events`);
            return (e - s) / 1000;
        };
        const mysqlStart = p?.containerStart.get("mysql");
        const exec = sampler.execAt.get(n);
        const listening = sampler.listeningAt.get(n);
        const readyAt = ready.get(n);
        if (created === undefined || mysqlStart === undefined || exec === undefined || listening === undefined || readyAt === undefined) {
            throw new Error(`pod ${n}: missing phase times (created ${created}, mysql ${mysqlStart}, exec ${exec}, listening ${listening}, ready ${readyAt})`);
        }
        const cloneSeconds = n === 0 ? 0 : span("clone-from-peer");
        // The pod's own work: its clone, and its server start (pod 0: with initialising the datadir).
        const serverWork = (listening - (n === 0 ? mysqlStart : exec)) / 1000;
        const readySeconds = (readyAt - created) / 1000;
        return {
            pod: cluster.podName(n),
            readySeconds,
            initConfigSeconds: span("init-config"),
            cloneSeconds,
            serverStartSeconds: serverWork,
            beforeExecSeconds: (exec - mysqlStart) / 1000,
            listeningToReadySeconds: (readyAt - listening) / 1000,
            overheadSeconds: readySeconds - cloneSeconds - serverWork,
        };
    });
    return {
        seconds3: (ready.get(2)! - start) / 1000,
        perPodOverhead: rows.map((r) => ({ pod: r.pod, seconds: r.overheadSeconds })),
        pods: rows,
        readyResolutionMs: probeMs.reduce((a, b) => a + b, 0) / probeMs.length,
        sampleMs: SAMPLE_MS,
    };
}

/** Fills `clone` as it goes, so a failure late in the phase keeps what was measured. */
async function cloneScaling(cluster: Cluster, ids: MysqlIds, scratch: string, clone: CloneResults): Promise<void> {
    for (const n of [2, 1]) if (cluster.isRunning(n)) await cluster.stopPod(n);
    const dataset = await Dataset.create(cluster, settings.chunkRows);
    for (const size of settings.sizesMiB) {
        progress(`growing the dataset to ${size} MiB of table data`);
        await dataset.growTo(size * MiB);
        // Flush dirty pages so the datadir on disk is the dataset (the copy reads files, not the buffer pool).
        await cluster.sql(0, "SET GLOBAL innodb_max_dirty_pages_pct = 0;");
        await waitClean(cluster);
        const dataBytes = directoryBytes(cluster.dataDir(0));
        progress(`datadir ${(dataBytes / MiB).toFixed(0)} MiB: copy, clone, copy`);
        const before = await copyDatadir(cluster, scratch);
        const cloned = await cloneWithScripts(cluster, () => dataset.count(0), (n) => dataset.count(n));
        const after = await copyDatadir(cluster, scratch);
        const copySeconds = (before.seconds + after.seconds) / 2;
        clone.scaling.push({ dataMiB: dataBytes / MiB, seconds: cloned.seconds, copySeconds, ratioToCopy: cloned.seconds / copySeconds });
        Object.assign(clone, {
            dataMiB: dataBytes / MiB,
            tableDataMiB: dataset.tableBytes() / MiB,
            rows: dataset.rows,
            seconds: cloned.seconds,
            copySeconds,
            copyRunsSeconds: [before.seconds, after.seconds],
            ratioToCopy: cloned.seconds / copySeconds,
            receivedMiB: cloned.receivedBytes / MiB,
            receiveSeconds: cloned.receiveSeconds,
        });
        progress(`clone ${cloned.seconds.toFixed(2)} s, copy ${before.seconds.toFixed(2)}/${after.seconds.toFixed(2)} s`);
    }
    await cluster.sql(0, "SET GLOBAL innodb_max_dirty_pages_pct = DEFAULT;");
    const pipeCopies = [await pipeCopyDatadir(cluster, scratch), await pipeCopyDatadir(cluster, scratch)];
    clone.pipeCopySeconds = (pipeCopies[0].seconds + pipeCopies[1].seconds) / 2;

    const address = await clientAddress(cluster, ids);
    // Round-robin, so that drifting load from other work on the machine hits every variant alike.
    const runs = new Map<string, VariantResult[]>();
    for (let round = 1; round <= settings.variantRounds; round++) {
        for (const variant of VARIANTS) {
            progress(`variant ${variant.name}, round ${round}/${settings.variantRounds}`);
            const result = await runVariant(cluster, ids, scratch, variant, address);
            runs.set(variant.name, [...(runs.get(variant.name) ?? []), result]);
        }
    }
    for (const variant of VARIANTS) {
        const list = runs.get(variant.name)!;
        const seconds = median(list.map((r) => r.seconds));
        clone.variants.push({
            name: variant.name,
            description: variant.description,
            seconds,
            runsSeconds: list.map((r) => r.seconds),
            transferSeconds: median(list.map((r) => r.transferSeconds)),
            prepareSeconds: median(list.map((r) => r.prepareSeconds)),
            bytes: list[0].bytes,
            ratioToCopy: seconds / clone.copySeconds,
        });
    }
    clone.sourceResidentMiBMax = pageCacheCheck.maxResidentBytes / MiB;
    clone.evictions = pageCacheCheck.evictions;
    clone.bestVariant = clone.variants.reduce((a, b) => (b.seconds < a.seconds ? b : a)).name;

}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Waits until the primary's buffer pool has (almost) no dirty pages left (bounded). */
async function waitClean(cluster: Cluster): Promise<void> {
    const deadline = Date.now() + 300000;
    const dirty = "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_DIRTY'";
    while (Number(await cluster.value(0, dirty)) > 16) {
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
    const ids = mysqlIds();
    // The harness's work dir, traversable by mysql: the variant runs reach pod 0's socket by path.
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-"));
    fs.chmodSync(workDir, 0o711);
    const scratch = path.join(workDir, "bench-scratch");
    const machine = readMachine(workDir);
    const results: Results = {
        mode: quick ? "quick" : "full",
        startedAt: startedAt.toISOString(),
        finishedAt: "",
        totalSeconds: 0,
        machine,
        load: { mean1m: 0, max1m: 0, samples: 0, note: "" },
        method: {
            pageCache:
                "cold source on both sides: /proc/sys/vm/drop_caches is not writable here, so before each copy, clone and variant every file of pod 0's datadir is evicted (posix_fadvise DONTNEED via dd iflag=nocache) and checked with fincore; both sides end with sync",
            copy: "cp -a of pod 0's datadir (server running) to the same filesystem, then sync; run before and after each clone, mean used. cp (coreutils ≥ 9) copies with copy_file_range, inside the kernel",
            pipeCopy: "at the largest size, the same datadir through tar -cf - | tar -xf - and sync (mean of 2): the cost of any user-space stream",
            clone: "a new pod 1 on an empty volume runs the init containers; clone time = clone-from-peer container start to exit (harness events, ms), i.e. receive + prepare + move + sync",
            bringUp: `pod created → Ready per pod; exec of mariadbd from /proc every ${SAMPLE_MS} ms, listening from connects to its server socket every ${SAMPLE_MS} ms, Ready by running the pod's readiness probe back to back; overhead = Ready − created − clone − own server start (pod 0: including initialisation)`,
            lag: `heartbeat rows stamped by the primary with NOW(6), readers on each replica poll MAX(seq) and NOW(6) with ${READER_PAUSE_MS} ms pauses; lag = first replica time a row is visible − its primary time`,
            catchUp: "replica pod 2 stopped, N single-row autocommit inserts of 1 KiB on the primary, pod restarted; seconds from pod start to MASTER_GTID_WAIT reaching the primary's position",
        },
        targets: [],
        failures: [],
    };
    let cluster: Cluster | undefined;
    // A phase that hangs fails the run instead of stalling it (CI has no one to press Ctrl-C).
    const phaseLimitMs = (quick ? 5 : 90) * 60000;
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
    try {
        cluster = await Cluster.create({ workDir });
        fs.mkdirSync(scratch);
        fs.chownSync(scratch, ids.uid, ids.gid);
        const c = cluster;
        await phase("bringUp", async () => {
            results.bringUp = await bringUp(c);
        });
        await phase("lag", async () => {
            results.lag = await measureLag(c, [1, 2], settings.writesPerSecond, settings.lagWindowSeconds);
        });
        await phase("catchUp", async () => {
            results.catchUp = await measureCatchUp(c, 2, settings.catchUpWrites);
        });
        await phase("clone", async () => {
            results.clone = { dataMiB: 0, tableDataMiB: 0, rows: 0, seconds: 0, copySeconds: 0, copyRunsSeconds: [], ratioToCopy: 0, receivedMiB: 0, scaling: [], variants: [] };
            await cloneScaling(c, ids, scratch, results.clone);
        });
    } catch (e) {
        results.failures.push({ phase: "cluster", error: e instanceof Error ? e.message : String(e) });
    } finally {
        await cluster?.destroy();
    }
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
    results.targets = checkTargets(results);
    const { targets, failures, ...measured } = results;
    const rounded = round({ ...measured, targets, failures }) as Results;
    fs.writeFileSync(resultsFile, JSON.stringify(rounded, null, 2) + "\n");
    const table = markdown(rounded);
    process.stdout.write(table);
    try {
        if (results.clone) {
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
