/** The bench's results: their JSON shape, the targets they are judged by, and the markdown tables. */
import { ENGINES, Engine } from "../components/mysql/engine";
import { Machine } from "./machine";
import { CatchUpResult, LagResult } from "./replication";

/** How a MySQL clone-from-peer's throw-away recipient spent its run, from the line it logs. */
export interface RecipientPhases {
    /** Launch → end of the bootstrap (system tables, accounts, sys schema, TLS and RSA keys). */
    initialiseSeconds: number;
    /** The CLONE INSTANCE statement (data and the plugin's own set-up). */
    cloneSeconds: number;
    /** End of the init file → the process exited. */
    stopSeconds: number;
}

/** What engine-mysql.sh's mysql_recipient_phases prints. */
const RECIPIENT_LINE = /recipient initialised in (\d+\.\d+) s, cloned in (\d+\.\d+) s, stopped in (\d+\.\d+) s/g;

/** The recipient's phases from the last line clone-from-peer logged (the pod's log holds every incarnation). */
export function recipientPhases(log: string): RecipientPhases | undefined {
    const last = [...log.matchAll(RECIPIENT_LINE)].pop();
    if (!last) return undefined;
    return { initialiseSeconds: Number(last[1]), cloneSeconds: Number(last[2]), stopSeconds: Number(last[3]) };
}

/** Bring-up of one pod from an empty volume. */
export interface PodBringUp {
    pod: string;
    /** Pod created → Ready. */
    readySeconds: number;
    /** Each init container's start → exit. */
    initContainerSeconds: Record<string, number>;
    /** Replicas: the server container started → Ready (first start of the seeded data, replication set-up, readiness). */
    firstStartSeconds?: number;
    /** MySQL replicas: the throw-away recipient's initialise, clone and stop. */
    recipient?: RecipientPhases;
    /** Replicas: `cp -a` + fsync of the donor's datadir at that moment (the data the pod had to move). */
    copySeconds?: number;
    /** Replicas: readySeconds − copySeconds, everything but moving the data. */
    fixedSeconds?: number;
}

export interface ScalingPoint {
    dataMiB: number;
    /** Replica pod created → Ready. */
    seedSeconds: number;
    /** seedSeconds − the engine's perPodFixedSeconds: the time spent moving data. */
    cloneSeconds: number;
    copySeconds: number;
    ratioToCopy: number;
}

export interface CloneResults {
    /** The largest point: datadir MiB, its seeding, the copy, and the ratio. */
    dataMiB: number;
    tableDataMiB: number;
    rows: number;
    seedSeconds: number;
    cloneSeconds: number;
    copySeconds: number;
    copyRunsSeconds: number[];
    ratioToCopy: number;
    /** The worst replica of the bring-up: pod created → Ready minus copying its donor's datadir. */
    perPodFixedSeconds: number;
    /** Pod 0 created → Ready, initialising a new database (once per cluster; not a per-pod cost). */
    primaryReadySeconds: number;
    scaling: ScalingPoint[];
    /** Most of pod 0's datadir found still in the page cache after an eviction (fincore), and how many evictions. */
    sourceResidentMiBMax?: number;
    evictions?: number;
}

export interface EngineResults {
    engine: Engine;
    version: string;
    bringUp?: { seconds3: number; pods: PodBringUp[] };
    lag?: LagResult;
    catchUp?: CatchUpResult;
}

/** One engine's bring-up on the real node, as the e2e-node appends it to bench/node-bringup.jsonl. */
export interface NodeBringUp {
    /** StatefulSet created → 3 pods Ready, seconds on the cluster's clock. */
    podsReadySeconds: number;
    /** The whole `pulumi up`, seconds. */
    pulumiUpSeconds: number;
    /** When it was measured (ISO 8601, UTC). */
    measured: string;
    /** The 1-, 5- and 15-minute load averages then. */
    loadAverage: string;
}

/**
 * The newest line per engine of a bench/node-bringup.jsonl text (one JSON object per line:
 * engine plus {@link NodeBringUp}). Lines of another engine or shape are skipped; a line that
 * is not JSON throws, naming its number.
 */
export function latestNodeBringUp(text: string): Partial<Record<Engine, NodeBringUp>> {
    const latest: Partial<Record<Engine, NodeBringUp>> = {};
    text.split("\n").forEach((line, i) => {
        if (line.trim() === "") return;
        let row: Record<string, unknown>;
        try {
            row = JSON.parse(line);
        } catch {
            throw new Error(`node bring-up line ${i + 1} is not JSON: ${line.slice(0, 80)}`);
        }
        const engine = row.engine as Engine;
        if (!(ENGINES as readonly string[]).includes(engine) || typeof row.podsReadySeconds !== "number") return;
        const previous = latest[engine];
        if (previous && previous.measured > String(row.measured)) return;
        latest[engine] = {
            podsReadySeconds: row.podsReadySeconds,
            pulumiUpSeconds: Number(row.pulumiUpSeconds),
            measured: String(row.measured),
            loadAverage: String(row.loadAverage),
        };
    });
    return latest;
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

export interface Results {
    mode: "full" | "quick";
    startedAt: string;
    finishedAt: string;
    totalSeconds: number;
    machine: Machine;
    load: { mean1m: number; max1m: number; samples: number; note: string };
    method: Record<string, string>;
    /** Clone figures per engine: clone.mysql, clone.mariadb. */
    clone: Partial<Record<Engine, CloneResults>>;
    engines: Partial<Record<Engine, EngineResults>>;
    /** The newest real-node bring-up per engine (the e2e-node's, read from bench/node-bringup.jsonl). */
    nodeBringUp?: Partial<Record<Engine, NodeBringUp>>;
    targets: TargetCheck[];
    failures: { phase: string; error: string }[];
}

export const TARGETS = { ratioToCopy: 1.1, perPodFixedSeconds: 2, lagP99Ms: 1000, nodeBringUpSeconds: 30 };

const r2 = (x: number) => Math.round(x * 100) / 100;
const fmt = (x: number, digits = 2) => x.toFixed(digits);

export function round(value: unknown): unknown {
    if (typeof value === "number") return Number.isInteger(value) ? value : r2(value);
    if (Array.isArray(value)) return value.map(round);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, round(v)]));
    return value;
}

/** Judges the results against the issue's targets, saying by how much when missed. */
export function checkTargets(results: Results): TargetCheck[] {
    const checks: TargetCheck[] = [];
    for (const [engine, clone] of Object.entries(results.clone) as [Engine, CloneResults][]) {
        const ratioTarget = TARGETS.ratioToCopy;
        checks.push({
            metric: `clone.${engine}.ratioToCopy (${fmt(clone.dataMiB, 0)} MiB)`,
            target: `≤ ${ratioTarget}`,
            value: fmt(clone.ratioToCopy),
            met: clone.ratioToCopy <= ratioTarget,
            missedBy: clone.ratioToCopy > ratioTarget ? `${fmt(clone.ratioToCopy - ratioTarget)} over (${fmt(clone.cloneSeconds - ratioTarget * clone.copySeconds)} s slower than ${ratioTarget} × copy)` : undefined,
            why: `seeding ${fmt(clone.seedSeconds)} s − fixed ${fmt(clone.perPodFixedSeconds)} s = ${fmt(clone.cloneSeconds)} s moving data; copy ${fmt(clone.copySeconds)} s (${fmt(clone.dataMiB / clone.copySeconds, 0)} MiB/s, cp inside the kernel)`,
        });
        const worst = results.engines[engine]?.bringUp?.pods.filter((p) => p.fixedSeconds !== undefined).reduce((a, b) => (b.fixedSeconds! > a.fixedSeconds! ? b : a));
        const fixedTarget = TARGETS.perPodFixedSeconds;
        checks.push({
            metric: `clone.${engine}.perPodFixedSeconds`,
            target: `< ${fixedTarget} s`,
            value: `${fmt(clone.perPodFixedSeconds)} s${worst ? ` (${worst.pod})` : ""}`,
            met: clone.perPodFixedSeconds < fixedTarget,
            missedBy: clone.perPodFixedSeconds >= fixedTarget ? `${fmt(clone.perPodFixedSeconds - fixedTarget)} s over` : undefined,
            why: worst
                ? `${worst.pod}: Ready after ${fmt(worst.readySeconds)} s, its donor's datadir copies in ${fmt(worst.copySeconds ?? 0)} s; init containers ${Object.entries(worst.initContainerSeconds).map(([c, s]) => `${c} ${fmt(s)} s`).join(", ")}`
                : "no bring-up figures",
        });
    }
    for (const [engine, e] of Object.entries(results.engines) as [Engine, EngineResults][]) {
        const lag = e.lag;
        if (!lag) continue;
        checks.push({
            metric: `${engine}.lag.p99Ms (at ${fmt(lag.writesPerSecond, 0)} writes/s)`,
            target: `< ${TARGETS.lagP99Ms} ms`,
            value: `${fmt(lag.p99Ms, 0)} ms`,
            met: lag.p99Ms < TARGETS.lagP99Ms,
            missedBy: lag.p99Ms >= TARGETS.lagP99Ms ? `${fmt(lag.p99Ms - TARGETS.lagP99Ms, 0)} ms over` : undefined,
            why: `every write is its own transaction with sync_binlog=1 and innodb_flush_log_at_trx_commit=1 on every pod`,
        });
    }
    for (const [engine, node] of Object.entries(results.nodeBringUp ?? {}) as [Engine, NodeBringUp][]) {
        const target = TARGETS.nodeBringUpSeconds;
        checks.push({
            metric: `node.${engine}.podsReadySeconds`,
            target: `< ${target} s`,
            value: `${node.podsReadySeconds} s`,
            met: node.podsReadySeconds < target,
            missedBy: node.podsReadySeconds >= target ? `${node.podsReadySeconds - target} s over` : undefined,
            why: `3 pods from empty volumes on the real node (npm run test:e2e:node, ${node.measured}, load ${node.loadAverage}); beside it the harness's ${fmt(results.engines[engine]?.bringUp?.seconds3 ?? NaN)} s`,
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
    const engines = Object.keys(results.engines) as Engine[];
    const cell = (engine: Engine, f: (e: EngineResults, c?: CloneResults) => string | undefined) => {
        const e = results.engines[engine];
        return (e && f(e, results.clone[engine])) ?? "–";
    };
    const rows: [string, (e: EngineResults, c?: CloneResults) => string | undefined][] = [
        ["version", (e) => e.version],
        ["clone: datadir MiB", (_, c) => c && `${fmt(c.dataMiB, 0)} (tables ${fmt(c.tableDataMiB, 0)}, ${c.rows} rows)`],
        ["clone: replica created → Ready s", (_, c) => c && fmt(c.seedSeconds)],
        ["clone: moving data s (Ready − fixed)", (_, c) => c && fmt(c.cloneSeconds)],
        ["copy: cp -a + fsync s", (_, c) => c && `${fmt(c.copySeconds)} (mean of ${c.copyRunsSeconds.map((s) => fmt(s)).join(", ")})`],
        ["**clone.ratioToCopy**", (_, c) => c && `**${fmt(c.ratioToCopy)}**`],
        ["**clone.perPodFixedSeconds**", (_, c) => c && `**${fmt(c.perPodFixedSeconds)}**`],
        ["primary created → Ready s (initialises)", (_, c) => c && fmt(c.primaryReadySeconds)],
        ["bring-up of 3 pods s", (e) => e.bringUp && fmt(e.bringUp.seconds3)],
        ["bring-up of 3 pods on the real node s (e2e-node)", (e) => {
            const node = results.nodeBringUp?.[e.engine];
            return node && `${node.podsReadySeconds} (${node.measured})`;
        }],
        ["lag p50 / p99 / max ms", (e) => e.lag && `${fmt(e.lag.p50Ms, 1)} / ${fmt(e.lag.p99Ms, 1)} / ${fmt(e.lag.maxMs, 1)} at ${fmt(e.lag.writesPerSecond, 0)} writes/s`],
        ["catch-up s", (e) => e.catchUp && `${fmt(e.catchUp.seconds)} (${e.catchUp.writes} writes; answering after ${fmt(e.catchUp.serverUpSeconds)} s)`],
        ["source in page cache before a timed run", (_, c) => c?.sourceResidentMiBMax !== undefined ? `≤ ${fmt(c.sourceResidentMiBMax, 1)} MiB (${c.evictions} evictions)` : undefined],
    ];
    out.push("");
    out.push(table(["metric", ...engines], rows.map(([name, f]) => [name, ...engines.map((e) => cell(e, f))])));
    if (results.targets.length > 0) {
        out.push("");
        out.push(table(
            ["target", "wanted", "measured", "met", "missed by", "why"],
            results.targets.map((t) => [t.metric, t.target, t.value, t.met ? "yes" : "no", t.missedBy ?? "–", t.why]),
        ));
    }
    for (const engine of engines) {
        const c = results.clone[engine];
        const b = results.engines[engine]?.bringUp;
        if (c && c.scaling.length > 0) {
            out.push("");
            out.push(table([`${engine}: datadir MiB`, "created → Ready s", "moving data s", "copy s", "ratio"],
                c.scaling.map((p) => [fmt(p.dataMiB, 0), fmt(p.seedSeconds), fmt(p.cloneSeconds), fmt(p.copySeconds), fmt(p.ratioToCopy)])));
        }
        if (b) {
            out.push("");
            out.push(table([`${engine}: pod`, "created → Ready s", "init containers s", "recipient: initialise / clone / stop s", "first start → Ready s", "donor copy s", "fixed s"],
                b.pods.map((p) => [p.pod, fmt(p.readySeconds), Object.entries(p.initContainerSeconds).map(([n, s]) => `${n} ${fmt(s)}`).join(", "),
                    p.recipient ? `${fmt(p.recipient.initialiseSeconds)} / ${fmt(p.recipient.cloneSeconds)} / ${fmt(p.recipient.stopSeconds)}` : "–",
                    p.firstStartSeconds === undefined ? "–" : fmt(p.firstStartSeconds),
                    p.copySeconds === undefined ? "–" : fmt(p.copySeconds), p.fixedSeconds === undefined ? "–" : fmt(p.fixedSeconds)])));
        }
    }
    if (results.failures.length > 0) {
        out.push("");
        out.push("FAILED phases:");
        for (const f of results.failures) out.push(`- ${f.phase}: ${f.error.split("\n")[0]}`);
    }
    return out.join("\n") + "\n";
}
