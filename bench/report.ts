/** The bench's results: their JSON shape, the targets they are judged by, and the markdown tables. */
import { Machine } from "./machine";
import { CatchUpResult, LagResult } from "./replication";
import { VariantResult } from "./transfer";

export interface PodBringUp {
    pod: string;
    readySeconds: number;
    initConfigSeconds: number;
    cloneSeconds: number;
    /** mysql container start to the server listening on TCP (pod 0: includes initialising the datadir). */
    serverStartSeconds: number;
    /** mysql container start to the exec of the final mariadbd (pod 0: initialisation). */
    beforeExecSeconds: number;
    /** Server listening to the readiness probe passing (replicas: replication set up by the sidecar). */
    listeningToReadySeconds: number;
    overheadSeconds: number;
}

export interface ScalingPoint {
    dataMiB: number;
    seconds: number;
    copySeconds: number;
    ratioToCopy: number;
}

export interface TargetCheck {
    metric: string;
    target: string;
    value: string;
    met: boolean;
    /** How far off, when missed. */
    missedBy?: string;
    why: string;
}

export interface BringUp {
    seconds3: number;
    perPodOverhead: { pod: string; seconds: number }[];
    pods: PodBringUp[];
    readyResolutionMs: number;
    sampleMs: number;
}

export interface Results {
    mode: "full" | "quick";
    startedAt: string;
    finishedAt: string;
    totalSeconds: number;
    machine: Machine;
    load: { mean1m: number; max1m: number; samples: number; note: string };
    method: Record<string, string>;
    bringUp?: BringUp;
    lag?: LagResult;
    catchUp?: CatchUpResult;
    clone?: CloneResults;
    targets: TargetCheck[];
    failures: { phase: string; error: string }[];
}

export interface CloneResults {
    dataMiB: number;
    tableDataMiB: number;
    rows: number;
    seconds: number;
    copySeconds: number;
    copyRunsSeconds: number[];
    ratioToCopy: number;
    receivedMiB: number;
    /** What clone-from-peer reports for receiving (stream to mbstream), before prepare. */
    receiveSeconds?: number;
    /** The largest datadir through a user-space pipe (tar | tar) and sync. */
    pipeCopySeconds?: number;
    /** Most of pod 0's datadir found still in the page cache after an eviction (fincore), and how many evictions. */
    sourceResidentMiBMax?: number;
    evictions?: number;
    scaling: ScalingPoint[];
    variants: VariantResult[];
    bestVariant?: string;
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const fmt = (x: number, digits = 2) => x.toFixed(digits);

export function round(value: unknown): unknown {
    if (typeof value === "number") return Number.isInteger(value) ? value : r2(value);
    if (Array.isArray(value)) return value.map(round);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, round(v)]));
    return value;
}

/** Judges the results against the targets, saying by how much and why when missed. */
export function checkTargets(results: Results): TargetCheck[] {
    const checks: TargetCheck[] = [];
    const clone = results.clone;
    if (clone) {
        const today = clone.variants.find((v) => v.name === "today");
        const best = clone.variants.find((v) => v.name === clone.bestVariant);
        const split = today
            ? `the scripts' pipeline run beside them: transfer ${fmt(today.transferSeconds)} s (${fmt(clone.receivedMiB / today.transferSeconds, 0)} MiB/s) + prepare and sync ${fmt(today.prepareSeconds)} s`
            : "no variant run";
        const copyRate = `cp copies inside the kernel (copy_file_range) at ${fmt(clone.dataMiB / clone.copySeconds, 0)} MiB/s`;
        const pipe = clone.pipeCopySeconds !== undefined ? `; even a bare user-space pipe (tar | tar) takes ${fmt(clone.pipeCopySeconds / clone.copySeconds)} × the copy` : "";
        checks.push({
            metric: `clone.ratioToCopy (${fmt(clone.dataMiB, 0)} MiB)`,
            target: "≤ 1.5",
            value: fmt(clone.ratioToCopy),
            met: clone.ratioToCopy <= 1.5,
            missedBy: clone.ratioToCopy > 1.5 ? `${fmt(clone.ratioToCopy - 1.5)} over (${fmt(clone.seconds - 1.5 * clone.copySeconds)} s slower than 1.5 × copy)` : undefined,
            why:
                `${copyRate}; ${split}: every byte crosses user space in mariabackup, the donor's socat and mbstream, ` +
                `on ${results.machine.cpus} cores shared with the servers${pipe}` +
                (best && best.ratioToCopy !== undefined ? `; best variant '${best.name}': ratio ${fmt(best.ratioToCopy)}` : ""),
        });
    }
    const bringUp = results.bringUp;
    if (bringUp) {
        const worst = bringUp.pods.reduce((a, b) => (b.overheadSeconds > a.overheadSeconds ? b : a));
        const parts = `init-config ${fmt(worst.initConfigSeconds)} s, listening → Ready ${fmt(worst.listeningToReadySeconds)} s (the sidecar's 0.1 s polling of the server, replication set-up, then the probe)`;
        checks.push({
            metric: "bringUp.perPodOverhead (worst pod)",
            target: "< 1 s",
            value: `${fmt(worst.overheadSeconds)} s (${worst.pod})`,
            met: worst.overheadSeconds < 1,
            missedBy: worst.overheadSeconds >= 1 ? `${fmt(worst.overheadSeconds - 1)} s over` : undefined,
            why:
                `${worst.pod}: ${parts}; Ready is detected to ±${fmt(bringUp.readyResolutionMs, 0)} ms (one probe run)`,
        });
    }
    const lag = results.lag;
    if (lag) {
        checks.push({
            metric: `lag.p99Ms (at ${fmt(lag.writesPerSecond, 0)} writes/s)`,
            target: "< 1000 ms",
            value: `${fmt(lag.p99Ms, 0)} ms`,
            met: lag.p99Ms < 1000,
            missedBy: lag.p99Ms >= 1000 ? `${fmt(lag.p99Ms - 1000, 0)} ms over` : undefined,
            why: `every write is its own transaction with sync_binlog=1 and innodb_flush_log_at_trx_commit=1 on every pod; replicas sampled every ${fmt(lag.meanSampleIntervalMs, 0)} ms on average`,
        });
    }
    return checks;
}

function table(header: string[], rows: string[][]): string {
    return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

export function markdown(results: Results): string {
    const out: string[] = [];
    out.push(`Run: ${results.mode} mode, ${results.startedAt}, ${fmt(results.totalSeconds / 60, 1)} min; ` +
        `${results.machine.cpus} cores, ${results.machine.memoryGiB} GiB, ${results.machine.kernel}; ` +
        `1-min load average mean ${results.load.mean1m}, max ${fmt(results.load.max1m)} (${results.load.note}).`);
    out.push("");
    const rows: string[][] = [];
    const c = results.clone;
    if (c) {
        rows.push(["clone.dataMiB", `${fmt(c.dataMiB, 0)} (tables ${fmt(c.tableDataMiB, 0)}, ${c.rows} rows)`]);
        rows.push(["clone.seconds", fmt(c.seconds)]);
        rows.push(["clone.copySeconds", `${fmt(c.copySeconds)} (mean of ${c.copyRunsSeconds.map((s) => fmt(s)).join(", ")})`]);
        rows.push(["clone.ratioToCopy", fmt(c.ratioToCopy)]);
        if (c.pipeCopySeconds !== undefined) rows.push(["clone.pipeCopySeconds", `${fmt(c.pipeCopySeconds)} (tar | tar + sync of the same datadir: clone / pipe copy = ${fmt(c.seconds / c.pipeCopySeconds)})`]);
        rows.push(["clone.receivedMiB", `${fmt(c.receivedMiB, 0)} (what the stream carried; the copy copies the whole datadir)` +
            (c.receiveSeconds !== undefined ? `, received in ${fmt(c.receiveSeconds)} s by the script's own log` : "")]);
        if (c.sourceResidentMiBMax !== undefined) rows.push(["source in page cache before a timed run", `≤ ${fmt(c.sourceResidentMiBMax, 1)} MiB (fincore, ${c.evictions} evictions)`]);
    }
    const b = results.bringUp;
    if (b) {
        rows.push(["bringUp.seconds3", fmt(b.seconds3)]);
        rows.push(["bringUp.perPodOverhead", b.perPodOverhead.map((p) => `${p.pod}: ${fmt(p.seconds)} s`).join(", ")]);
    }
    const l = results.lag;
    if (l) {
        rows.push(["lag.p50Ms / p99Ms / maxMs", `${fmt(l.p50Ms, 1)} / ${fmt(l.p99Ms, 1)} / ${fmt(l.maxMs, 1)}`]);
        rows.push(["lag.writesPerSecond", `${fmt(l.writesPerSecond, 1)} (asked ${l.targetWritesPerSecond}, ${l.rows} rows in ${l.windowSeconds} s)`]);
    }
    const k = results.catchUp;
    if (k) {
        rows.push(["catchUp.seconds", `${fmt(k.seconds)} (${k.writes} writes; server answering after ${fmt(k.serverUpSeconds)} s, applying ${fmt(k.applySeconds)} s)`]);
    }
    out.push(table(["metric", "value"], rows));
    if (results.targets.length > 0) {
        out.push("");
        out.push(table(
            ["target", "wanted", "measured", "met", "missed by", "why"],
            results.targets.map((t) => [t.metric, t.target, t.value, t.met ? "yes" : "no", t.missedBy ?? "–", t.why]),
        ));
    }
    if (c && c.scaling.length > 0) {
        out.push("");
        out.push(table(["datadir MiB", "clone s (scripts)", "copy s", "ratio"], c.scaling.map((p) => [fmt(p.dataMiB, 0), fmt(p.seconds), fmt(p.copySeconds), fmt(p.ratioToCopy)])));
    }
    if (c && c.variants.length > 0) {
        out.push("");
        out.push(table(
            ["variant", "total s", "transfer s", "prepare+sync s", "ratio to copy", "what"],
            c.variants.map((v) => [v.name, fmt(v.seconds), fmt(v.transferSeconds), fmt(v.prepareSeconds), v.ratioToCopy === undefined ? "–" : fmt(v.ratioToCopy), v.description]),
        ));
    }
    if (b) {
        out.push("");
        out.push(table(
            ["pod", "Ready s", "init-config s", "clone s", "container → exec s", "server start s", "listening → Ready s", "overhead s"],
            b.pods.map((p) => [p.pod, fmt(p.readySeconds), fmt(p.initConfigSeconds), fmt(p.cloneSeconds), fmt(p.beforeExecSeconds), fmt(p.serverStartSeconds), fmt(p.listeningToReadySeconds), fmt(p.overheadSeconds)]),
        ));
    }
    if (results.failures.length > 0) {
        out.push("");
        out.push("FAILED phases:");
        for (const f of results.failures) out.push(`- ${f.phase}: ${f.error.split("\n")[0]}`);
    }
    return out.join("\n") + "\n";
}
