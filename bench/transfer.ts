/**
 * Seeding a replica against the raw limit: the clone the pod scripts do today (a new pod 1
 * cloning from pod 0 through the harness), a plain file copy of the same datadir on the
 * same disk, and transfer variants run beside the scripts (same namespaces, same bridge,
 * same tools) to find what would bring the clone closer to the copy.
 *
 * Page cache: this machine does not let even root write /proc/sys/vm/drop_caches, so before
 * every timed run the source datadir's files are evicted one by one (posix_fadvise
 * DONTNEED through `dd iflag=nocache`) and their residency is checked with fincore: both
 * sides read a cold source. Both sides also end with `sync`, so both pay for their writes
 * (the clone script syncs before writing its marker).
 */
import { ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Cluster } from "../test/dataplane/harness/cluster";
import { exited, run, sleep } from "../test/dataplane/harness/process";
import { phaseTimes } from "./timeline";
import { finished, hostOk, MysqlIds, Place, runScript, spawnScript } from "./shell";

const VARIANT_PORT = 3317;

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
    await hostOk("sync", []);
    const files = filesUnder(dir);
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

/** `cp -a` of pod 0's datadir to a scratch directory on the same disk, then `sync`; cold source. */
export async function copyDatadir(cluster: Cluster, scratchDir: string): Promise<CopyResult> {
    const source = cluster.dataDir(0);
    const target = path.join(scratchDir, "copy");
    fs.rmSync(target, { recursive: true, force: true });
    await evict(source);
    const start = performance.now();
    await hostOk("cp", ["-a", source, target]);
    await hostOk("sync", []);
    const seconds = (performance.now() - start) / 1000;
    const bytes = directoryBytes(target);
    fs.rmSync(target, { recursive: true, force: true });
    return { seconds, bytes };
}

/**
 * The same datadir through a user-space pipe (tar | tar), then sync: what any streamed copy
 * pays over cp, which copies inside the kernel (coreutils ≥ 9 uses copy_file_range).
 */
export async function pipeCopyDatadir(cluster: Cluster, scratchDir: string): Promise<CopyResult> {
    const source = cluster.dataDir(0);
    const target = path.join(scratchDir, "pipe-copy");
    fs.rmSync(target, { recursive: true, force: true });
    fs.mkdirSync(target);
    await evict(source);
    const start = performance.now();
    await hostOk("bash", ["-c", 'set -o pipefail; tar -C "$1" -cf - . | tar -C "$2" -xf -', "bash", source, target]);
    await hostOk("sync", []);
    const seconds = (performance.now() - start) / 1000;
    const bytes = directoryBytes(target);
    fs.rmSync(target, { recursive: true, force: true });
    return { seconds, bytes };
}

export interface CloneResult {
    /** clone-from-peer container start to exit, from the harness's events. */
    seconds: number;
    /** Bytes the script reports it received. */
    receivedBytes: number;
    /** Seconds the script reports for receiving. */
    receiveSeconds: number;
}

/** Pod 1 on an empty volume clones from pod 0 with the real scripts; checked, then removed. */
export async function cloneWithScripts(cluster: Cluster, expectRows: () => Promise<number>, countRows: (n: number) => Promise<number>): Promise<CloneResult> {
    if (cluster.isRunning(1)) throw new Error("pod 1 must not run before the clone benchmark");
    cluster.deleteVolume(1);
    await evict(cluster.dataDir(0));
    const logBefore = cluster.logs(1, "clone-from-peer").length;
    await cluster.startPod(1, { readyTimeoutMs: 600000 });
    const phases = phaseTimes(cluster).get(1);
    const start = phases?.containerStart.get("clone-from-peer");
    const end = phases?.containerExit.get("clone-from-peer");
    if (start === undefined || end === undefined) throw new Error("no clone-from-peer start/exit in the harness events for pod 1");
    const log = cluster.logs(1, "clone-from-peer").slice(logBefore);
    const received = /received (\d+) bytes from \S+ in (\d+) ?(ms|s)\b/.exec(log);
    if (!received) throw new Error(`clone-from-peer did not report what it received:\n${log}`);
    await cluster.waitCaughtUp(1, 120000);
    const rowsOnReplica = await countRows(1);
    const expected = await expectRows();
    if (rowsOnReplica !== expected) throw new Error(`the clone holds ${rowsOnReplica} rows, the primary ${expected}`);
    await cluster.stopPod(1);
    cluster.deleteVolume(1);
    return { seconds: (end - start) / 1000, receivedBytes: Number(received[1]), receiveSeconds: Number(received[2]) / (received[3] === "ms" ? 1000 : 1) };
}

/**
 * A way to move a backup from pod 0 into a directory, as clone-from-peer would. In the
 * commands, `$BACKUP` is the mariabackup --backup --stream command, `$DEST` the target
 * directory, `$SENDER`/`$RECEIVER` the addresses of the two ends, `$PORT` the port.
 */
export interface Variant {
    name: string;
    description: string;
    /** Who listens: the sender (as the clone-server sidecar does) or the receiver. */
    listener: "sender" | "receiver";
    sender: string;
    receiver: string;
    /** Extra mariabackup --backup options. */
    backupOptions: string;
}

// The scripts' own commands (lib.sh receive_stream_into / serve_stream), socat and ncat paths.
const SOCAT_SERVER = `socat -b 1048576 -U -T 600 TCP-LISTEN:$PORT,reuseaddr SYSTEM:"$BACKUP"`;
/** socat connects, then becomes `command` (the extractor) on the socket itself: no relay. */
const socatInto = (command: string) =>
    `socat -u TCP:$SENDER:$PORT,connect-timeout=10,keepalive,keepidle=60,keepintvl=10,keepcnt=6 EXEC:"${command}",nofork`;
/** The receiving socat the scripts used until 2026-11-21 19:03 UTC: a relay into a pipe. */
const SOCAT_RELAY = `socat -b 1048576 -u -T 600 TCP:$SENDER:$PORT,connect-timeout=10 STDOUT`;
const NCAT_SERVER = `ncat --listen --send-only --max-conns=1 $PORT -c "$BACKUP"`;
const NCAT_CLIENT = `ncat --recv-only --wait 10s --idle-timeout 600s $SENDER $PORT`;
/** The scripts' backup and extract parallelism (engine-mariadb.sh, clone-from-peer.sh). */
const PARALLEL = "--parallel=4";
const EXTRACT = `mbstream -x --parallel=2 -C "$DEST"`;

/** The transfer variants tried. The first one is what the scripts do (socat is chosen when the image has it). */
export const VARIANTS: Variant[] = [
    {
        name: "today",
        description:
            "the scripts with socat: socat -b 1048576 -T 600 serving 'mariabackup --parallel=4 --stream' on the donor; on the new pod socat connects and execs mbstream -x --parallel=2 on the socket (EXEC nofork, no relay)",
        listener: "sender",
        backupOptions: PARALLEL,
        sender: SOCAT_SERVER,
        receiver: socatInto("mbstream -x --parallel=2 -C $DEST"),
    },
    {
        name: "socat-relay",
        description: "the scripts until 2026-11-21 19:03 UTC: as today, but the receiving socat relays into a pipe: socat -b 1048576 | mbstream -x --parallel=2",
        listener: "sender",
        backupOptions: PARALLEL,
        sender: SOCAT_SERVER,
        receiver: `${SOCAT_RELAY} | ${EXTRACT}`,
    },
    {
        name: "ncat-fallback",
        description: "the scripts in an image without socat: ncat on both ends (ncat | mbstream), same parallelism",
        listener: "sender",
        backupOptions: PARALLEL,
        sender: NCAT_SERVER,
        receiver: `${NCAT_CLIENT} | ${EXTRACT}`,
    },
    {
        name: "before",
        description: "the scripts before the bench's proposals were applied (until 2026-11-21 18:06 UTC): ncat on both ends, no parallelism",
        listener: "sender",
        backupOptions: "",
        sender: NCAT_SERVER,
        receiver: `${NCAT_CLIENT} | mbstream -x -C "$DEST"`,
    },
    {
        name: "socat-serial",
        description: "today's socat commands without --parallel on either side: what the parallelism adds",
        listener: "sender",
        backupOptions: "",
        sender: SOCAT_SERVER,
        receiver: socatInto("mbstream -x -C $DEST"),
    },
    {
        name: "devtcp-recv",
        description: "as today on the donor; mbstream reads the socket through bash's /dev/tcp: no relay either, but no connect timeout or keepalive",
        listener: "sender",
        backupOptions: PARALLEL,
        sender: SOCAT_SERVER,
        receiver: `${EXTRACT} </dev/tcp/$SENDER/$PORT`,
    },
    {
        name: "parallel8-x4",
        description: "as today, with mariabackup --parallel=8 and mbstream -x --parallel=4: whether more threads help on this machine",
        listener: "sender",
        backupOptions: "--parallel=8",
        sender: SOCAT_SERVER,
        receiver: socatInto("mbstream -x --parallel=4 -C $DEST"),
    },
    {
        name: "lz4",
        description: "as socat-relay, the stream compressed with lz4 -1 on the donor and decompressed on the new pod (a pipe is needed for lz4)",
        listener: "sender",
        backupOptions: PARALLEL,
        sender: `socat -b 1048576 -U -T 600 TCP-LISTEN:$PORT,reuseaddr SYSTEM:"$BACKUP | lz4 -1 -q"`,
        receiver: `${SOCAT_RELAY} | lz4 -d -q | ${EXTRACT}`,
    },
];

export interface VariantResult {
    name: string;
    description: string;
    /** Median over the rounds (each field on its own). */
    seconds: number;
    runsSeconds?: number[];
    transferSeconds: number;
    prepareSeconds: number;
    bytes: number;
    ratioToCopy?: number;
}

function q(s: string): string {
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * One variant: the receiver in the client namespace writes to a scratch directory on the
 * same filesystem as the volumes; the sender runs inside pod 0's clone-server container (its
 * mounts, its backup option file, as the script's `stream` does); then prepare and sync.
 */
export async function runVariant(cluster: Cluster, ids: MysqlIds, scratchDir: string, variant: Variant, receiverAddress: string): Promise<VariantResult> {
    const dest = path.join(scratchDir, `variant-${variant.name}`);
    fs.rmSync(dest, { recursive: true, force: true });
    fs.mkdirSync(dest, { recursive: true });
    fs.chownSync(dest, ids.uid, ids.gid);
    await evict(cluster.dataDir(0));
    // Inside the pod: /tmp is the pod's own; the log is read back through its host path.
    const senderLog = `/tmp/bench-sender-${variant.name}.log`;
    const senderLogOnHost = path.join(cluster.workDir, "pods", cluster.podName(0), "tmp", path.basename(senderLog));

    const backup =
        `mariabackup --defaults-extra-file=/run/mysqld/backup.cnf --socket=/run/mysqld/mysqld.sock --backup --slave-info ` +
        `--stream=xbstream --datadir=/var/lib/mysql --target-dir=$work ${variant.backupOptions} 2>${senderLog}`;
    const fill = (command: string) =>
        command
            .split("$BACKUP").join(backup)
            .split("$SENDER").join(cluster.address(0))
            .split("$RECEIVER").join(receiverAddress)
            .split("$PORT").join(String(VARIANT_PORT));
    const startSender = () =>
        spawnScript(cluster, ids, { pod: 0, container: "clone-server" },
            `work=$(mktemp -d /tmp/bench-backup.XXXXXX)\ntrap 'rm -rf "$work"' EXIT\n${fill(variant.sender)}`, ["ignore", "pipe", "pipe"]);
    const startReceiver = () => spawnScript(cluster, ids, { client: true }, `DEST=${q(dest)}\n${fill(variant.receiver)}`, ["ignore", "pipe", "pipe"]);
    // The listening end is up before the timer starts: listening is not part of a clone.
    let sender: ChildProcess;
    let receiver: ChildProcess;
    let start: number;
    if (variant.listener === "sender") {
        sender = startSender();
        await waitListening(cluster, ids, { pod: 0, container: "clone-server" }, VARIANT_PORT);
        start = performance.now();
        receiver = startReceiver();
    } else {
        receiver = startReceiver();
        await waitListening(cluster, ids, { client: true }, VARIANT_PORT);
        start = performance.now();
        sender = startSender();
    }
    let receiverErr = "";
    receiver.stderr?.on("data", (d) => (receiverErr += d));
    await finished(sender, `sender of variant ${variant.name}`).catch((e: Error) => {
        const tail = fs.existsSync(senderLogOnHost) ? fs.readFileSync(senderLogOnHost, "utf8").trim().split("\n").slice(-8).join("\n") : "";
        throw new Error(`${e.message}:\n${tail}`);
    });
    await exited(receiver);
    if (receiver.exitCode !== 0) throw new Error(`receiver of variant ${variant.name} failed (${receiver.exitCode ?? receiver.signalCode}): ${receiverErr.trim()}`);
    const transferSeconds = (performance.now() - start) / 1000;
    if (!fs.readFileSync(path.join(dest, "xtrabackup_checkpoints"), "utf8").includes("backup_type = full-backuped")) {
        throw new Error(`variant ${variant.name}: the received backup is incomplete`);
    }
    const prepareStart = performance.now();
    await runScript(cluster, ids, { client: true }, `mariabackup --no-defaults --prepare --target-dir=${q(dest)} 2>/dev/null`);
    await hostOk("sync", []);
    const end = performance.now();
    const bytes = directoryBytes(dest);
    fs.rmSync(dest, { recursive: true, force: true });
    return {
        name: variant.name,
        description: variant.description,
        seconds: (end - start) / 1000,
        transferSeconds,
        prepareSeconds: (end - prepareStart) / 1000,
        bytes,
    };
}

/** The client namespace's address on the bridge (where variant receivers listen). */
export async function clientAddress(cluster: Cluster, ids: MysqlIds): Promise<string> {
    const out = await runScript(cluster, ids, { client: true }, "ip -4 -o addr show dev eth0");
    const match = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(out);
    if (!match) throw new Error(`no IPv4 address on the client namespace's eth0: ${out}`);
    return match[1];
}

/** Waits until something listens on the TCP port in that place. */
export async function waitListening(cluster: Cluster, ids: MysqlIds, place: Place, port: number): Promise<void> {
    for (let i = 0; i < 200; i++) {
        const out = await runScript(cluster, ids, place, `ss -Hltn 'sport = :${port}'`);
        if (out.trim() !== "") return;
        await sleep(25);
    }
    throw new Error(`the variant's listening end did not listen on port ${port}`);
}
