/**
 * Replication under load. Lag: a writer session on the primary inserts heartbeat rows at a
 * fixed rate, each stamped by the primary with UNIX_TIMESTAMP(NOW(6)); a reader session on
 * each replica asks, back to back with a short pause, for the highest sequence number it has
 * and its own NOW(6). A row's lag is the first replica timestamp at which it was visible
 * minus its primary timestamp (same machine, same clock). Catch-up: a replica pod is
 * stopped, a fixed number of single-row transactions is committed on the primary, and the
 * pod is started again until it has applied them all (the engine's GTID wait).
 */
import { ChildProcess } from "child_process";
import { Cluster } from "../test/dataplane/harness/cluster";
import { exited, run, signalGroup, sleep, startProcess } from "../test/dataplane/harness/process";

const DATABASE = "benchlag";
const PAYLOAD_BYTES = 1000;
/** Pause between a reader's answer and its next question. */
export const READER_PAUSE_MS = 5;

/** A long-lived client session on pod n fed statements on stdin; one output line per row. */
class Session {
    private readonly child: ChildProcess;
    private buffer = "";
    private readonly waiting: { answer: (line: string) => void; fail: (e: Error) => void }[] = [];
    private stderr = "";

    constructor(cluster: Cluster, n: number) {
        const { program, args } = cluster.clientCommand(n, cluster.root, ["--unbuffered"]);
        this.child = startProcess(program, args, { stdio: ["pipe", "pipe", "pipe"] });
        this.child.stdout?.on("data", (d) => {
            this.buffer += d;
            const lines = this.buffer.split("\n");
            this.buffer = lines.pop() ?? "";
            for (const line of lines) this.waiting.shift()?.answer(line);
        });
        this.child.stderr?.on("data", (d) => (this.stderr += d));
        this.child.stdin?.on("error", () => undefined);
        // A client that exits (e.g. at an SQL error) answers nobody: fail whoever waits.
        this.child.on("exit", () => {
            for (const waiter of this.waiting.splice(0)) waiter.fail(new Error(`client session ended: ${this.stderr.trim()}`));
        });
    }

    send(statement: string): void {
        this.child.stdin?.write(statement + "\n");
    }

    /** Sends a query that returns one row and resolves with it. */
    ask(query: string): Promise<string[]> {
        return new Promise((resolve, reject) => {
            if (this.child.exitCode !== null || this.child.signalCode !== null) return reject(new Error(`client session ended: ${this.stderr.trim()}`));
            this.waiting.push({ answer: (line) => resolve(line.split("\t")), fail: reject });
            this.send(query);
        });
    }

    /** Ends the input and waits for the client to exit; rejects when it failed. */
    async close(): Promise<void> {
        this.child.stdin?.end();
        const timer = setTimeout(() => signalGroup(this.child, "SIGKILL"), 120000);
        await exited(this.child);
        clearTimeout(timer);
        if (this.child.exitCode !== 0) throw new Error(`client session failed (${this.child.exitCode ?? this.child.signalCode}): ${this.stderr.trim()}`);
    }
}

export interface LagResult {
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    writesPerSecond: number;
    targetWritesPerSecond: number;
    windowSeconds: number;
    rows: number;
    samplesPerReplica: Record<string, number>;
    meanSampleIntervalMs: number;
}

function percentile(sorted: number[], p: number): number {
    const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[i];
}

export async function measureLag(cluster: Cluster, replicas: number[], writesPerSecond: number, windowSeconds: number): Promise<LagResult> {
    await cluster.sql(0,
        `CREATE DATABASE IF NOT EXISTS ${DATABASE};\n` +
        `CREATE TABLE ${DATABASE}.heartbeat (seq INT NOT NULL PRIMARY KEY, ts DECIMAL(17,6) NOT NULL, payload VARCHAR(${PAYLOAD_BYTES}) NOT NULL) ENGINE=InnoDB;`);
    for (const n of replicas) await cluster.waitCaughtUp(n, 60000);

    const interval = 1000 / writesPerSecond;
    const start = Date.now();
    let writerEnd = start + windowSeconds * 1000;
    const samples = new Map<number, { seq: number; at: number }[]>();
    let reading = true;
    let lastSeq = 0;
    const readers = replicas.map(async (n) => {
        const session = new Session(cluster, n);
        const list: { seq: number; at: number }[] = [];
        samples.set(n, list);
        const deadline = () => Date.now() > writerEnd + 60000;
        for (;;) {
            const [seq, at] = await session.ask(`SELECT COALESCE(MAX(seq), 0), UNIX_TIMESTAMP(NOW(6)) FROM ${DATABASE}.heartbeat;`);
            list.push({ seq: Number(seq), at: Number(at) * 1000 });
            if (!reading && Number(seq) >= lastSeq) break;
            if (!reading && deadline()) throw new Error(`replica ${n} did not reach heartbeat ${lastSeq} within 60 s after the load`);
            await sleep(READER_PAUSE_MS);
        }
        await session.close();
    });

    // Handled at once: a reader that fails must not crash the process while the writer runs.
    let readerError: unknown;
    const readersDone = Promise.all(readers).catch((e) => {
        readerError = e;
    });
    const writer = new Session(cluster, 0);
    let seq = 0;
    // Paced by the wall clock, not by timer ticks: a late tick sends what is due.
    while (Date.now() < writerEnd && readerError === undefined) {
        const due = Math.floor((Date.now() - start) / interval) + 1;
        while (seq < due) {
            seq++;
            writer.send(`INSERT INTO ${DATABASE}.heartbeat VALUES (${seq}, UNIX_TIMESTAMP(NOW(6)), REPEAT('x', ${PAYLOAD_BYTES}));`);
        }
        await sleep(Math.max(1, interval / 2));
    }
    await writer.close();
    writerEnd = Date.now();
    lastSeq = seq;
    reading = false;
    await readersDone;
    if (readerError !== undefined) throw readerError;

    const stamped = new Map<number, number>();
    for (const [s, ts] of await cluster.sql(0, `SELECT seq, ts FROM ${DATABASE}.heartbeat ORDER BY seq`)) stamped.set(Number(s), Number(ts) * 1000);
    if (stamped.size !== seq) throw new Error(`the primary holds ${stamped.size} heartbeats, ${seq} were sent`);
    const lags: number[] = [];
    const samplesPerReplica: Record<string, number> = {};
    let intervals = 0;
    let intervalSum = 0;
    for (const [n, list] of samples) {
        samplesPerReplica[cluster.podName(n)] = list.length;
        let i = 0;
        for (let s = 1; s <= seq; s++) {
            while (i < list.length && list[i].seq < s) i++;
            if (i === list.length) throw new Error(`replica ${n} never showed heartbeat ${s}`);
            lags.push(Math.max(0, list[i].at - stamped.get(s)!));
        }
        for (let j = 1; j < list.length; j++) {
            intervalSum += list[j].at - list[j - 1].at;
            intervals++;
        }
    }
    lags.sort((a, b) => a - b);
    const first = stamped.get(1)!;
    const last = stamped.get(seq)!;
    return {
        p50Ms: percentile(lags, 50),
        p99Ms: percentile(lags, 99),
        maxMs: lags[lags.length - 1],
        writesPerSecond: (seq - 1) / ((last - first) / 1000),
        targetWritesPerSecond: writesPerSecond,
        windowSeconds,
        rows: seq,
        samplesPerReplica,
        meanSampleIntervalMs: intervalSum / intervals,
    };
}

export interface CatchUpResult {
    seconds: number;
    writes: number;
    writeSeconds: number;
    serverUpSeconds: number;
    applySeconds: number;
}

/** Stops replica pod n, commits `writes` single-row transactions, restarts it, times until current. */
export async function measureCatchUp(cluster: Cluster, n: number, writes: number): Promise<CatchUpResult> {
    await cluster.sql(0, `CREATE TABLE IF NOT EXISTS ${DATABASE}.catchup (id INT NOT NULL PRIMARY KEY, payload VARCHAR(${PAYLOAD_BYTES}) NOT NULL) ENGINE=InnoDB;`);
    await cluster.waitCaughtUp(n, 60000);
    await cluster.stopPod(n);
    const statements: string[] = [];
    for (let i = 1; i <= writes; i++) statements.push(`INSERT INTO ${DATABASE}.catchup VALUES (${i}, REPEAT('y', ${PAYLOAD_BYTES}));`);
    const writeStart = Date.now();
    const client = cluster.clientCommand(0);
    const r = await run(client.program, client.args, { input: statements.join("\n"), timeoutMs: 1800000 });
    if (r.code !== 0) throw new Error(`writing while pod ${n} was stopped failed: ${r.stderr.trim()}`);
    const writeSeconds = (Date.now() - writeStart) / 1000;
    const target = await cluster.primaryPosition();

    const start = Date.now();
    await cluster.startPod(n, { waitReady: false });
    let up: number | undefined;
    for (;;) {
        try {
            await cluster.value(n, "SELECT 1");
            up = Date.now();
            break;
        } catch {
            if (Date.now() - start > 300000) throw new Error(`pod ${n} did not answer within 300 s of its restart`);
            await sleep(20);
        }
    }
    // In slices: Cluster.sql gives a statement two minutes.
    while (!(await cluster.reachedPosition(n, target, 60))) {
        if (Date.now() - start > 1800000) throw new Error(`pod ${n} did not reach ${target} within 30 minutes`);
    }
    const end = Date.now();
    const rows = Number(await cluster.value(n, `SELECT COUNT(*) FROM ${DATABASE}.catchup`));
    if (rows !== writes) throw new Error(`pod ${n} holds ${rows} of the ${writes} rows written while it was stopped`);
    return { seconds: (end - start) / 1000, writes, writeSeconds, serverUpSeconds: (up - start) / 1000, applySeconds: (end - up) / 1000 };
}
