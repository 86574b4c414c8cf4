/**
 * Seeding a replica against the raw limit: a new pod 1 seeded by the pod scripts through
 * the harness, beside a plain file copy of the same datadir on the same disk.
 *
 * The copy is `cp -a` of pod 0's datadir followed by an fsync of the copied files only
 * (`sync FILE…`, which fsyncs each named file and directory). A global `sync` would also wait
 * for other processes' dirty pages, which inflated the baseline 2.3–2.8× on this shared
 * machine.
 *
 * Page cache: this machine does not let even root write /proc/sys/vm/drop_caches, so before
 * every timed run the source datadir's files are evicted one by one (posix_fadvise
 * DONTNEED through `dd iflag=nocache`) and their residency is checked with fincore: both
 * sides read a cold source.
 */
import * as fs from "fs";
import * as path from "path";
import { Cluster } from "../test/dataplane/harness/cluster";
import { run, runOk } from "../test/dataplane/harness/process";
import { RecipientPhases, recipientPhases } from "./report";
import { phaseTimes } from "./timeline";

function filesUnder(dir: string): string[] {
    const out: string[] = [];
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) out.push(...filesUnder(p));
        else if (entry.isFile()) out.push(p);
    }
    return out;
}

export function directoryBytes(dir: string): number {
    return filesUnder(dir).reduce((sum, f) => sum + fs.statSync(f).size, 0);
}

/** What the evictions left resident, over the run: reported with the results. */
export const pageCacheCheck = { evictions: 0, maxResidentBytes: 0 };

/** Evicts a directory's files from the page cache; returns the bytes still resident after. */
export async function evict(dir: string): Promise<number> {
    const files = filesUnder(dir);
    // Dirty pages cannot be evicted: write the source's own files back first (not a global sync).
    for (let i = 0; i < files.length; i += 200) await runOk("sync", ["--", ...files.slice(i, i + 200)]);
    for (const f of files) await run("dd", [`if=${f}`, "iflag=nocache", "count=0", "status=none"]);
    let resident = 0;
    for (let i = 0; i < files.length; i += 200) {
        const r = await run("fincore", ["--bytes", "--noheadings", "--output", "RES", ...files.slice(i, i + 200)]);
        for (const line of r.stdout.split("\n")) if (line.trim() !== "") resident += Number(line.trim());
    }
    pageCacheCheck.evictions++;
    pageCacheCheck.maxResidentBytes = Math.max(pageCacheCheck.maxResidentBytes, resident);
    return resident;
}

export interface CopyResult {
    seconds: number;
    bytes: number;
}

/** `cp -a` of pod n's datadir to a scratch directory on the same disk, then fsync of the copied files; cold source. */
export async function copyDatadir(cluster: Cluster, n: number, scratchDir: string): Promise<CopyResult> {
    const source = cluster.dataDir(n);
    const target = path.join(scratchDir, "copy");
    fs.rmSync(target, { recursive: true, force: true });
    await evict(source);
    const start = performance.now();
    await runOk("cp", ["-a", source, target]);
    await runOk("bash", ["-c", 'find "$1" -print0 | xargs -0 sync --', "bash", target]);
    const seconds = (performance.now() - start) / 1000;
    const bytes = directoryBytes(target);
    fs.rmSync(target, { recursive: true, force: true });
    return { seconds, bytes };
}

export interface SeedResult {
    /** Pod created → Ready: everything a new replica pod costs. */
    seconds: number;
    /** Each init container's start → exit, from the harness's events. */
    initContainerSeconds: Record<string, number>;
    /** The server container started → pod Ready: the first start of the seeded data, replication set-up, readiness. */
    firstStartSeconds?: number;
    /** MySQL only: the recipient's phases, as clone-from-peer logged them for this seeding. */
    recipient?: RecipientPhases;
}


/** Starts replica pod n on an empty volume and times it until Ready (readiness probed back to back). */
export async function seedPod(cluster: Cluster, n: number, timeoutMs = 600000): Promise<SeedResult> {
    if (cluster.isRunning(n)) throw new Error(`pod ${n} must not run before it is seeded`);
    cluster.deleteVolume(n);
    await cluster.startPod(n, { waitReady: false });
    for (;;) {
        if (await cluster.isReady(n)) break;
        const created = phaseTimes(cluster).get(n)?.created ?? Date.now();
        if (Date.now() - created > timeoutMs) throw new Error(`pod ${n} not Ready within ${timeoutMs / 1000} s`);
    }
    const readyAt = Date.now();
    const phases = phaseTimes(cluster).get(n);
    if (phases?.created === undefined) throw new Error(`pod ${n}: no creation in the harness events`);
    const initContainerSeconds: Record<string, number> = {};
    for (const spec of cluster.spec.initContainers) {
        const s = phases.containerStart.get(spec.name);
        const e = phases.containerExit.get(spec.name);
        if (s !== undefined && e !== undefined) initContainerSeconds[spec.name] = (e - s) / 1000;
    }
    const serverStart = phases.containerStart.get(cluster.spec.server.name);
    return {
        seconds: (readyAt - phases.created) / 1000,
        initContainerSeconds,
        firstStartSeconds: serverStart === undefined ? undefined : (readyAt - serverStart) / 1000,
        recipient: recipientPhases(cluster.logs(n, "clone-from-peer")),
    };
}
