/**
 * A replicated-MySQL StatefulSet without Kubernetes: the pod scripts of
 * components/mysql/scripts run unchanged, as the StatefulSet runs them, against real
 * MariaDB servers, each pod in its own Linux namespaces. Used by the data-plane tests and
 * the benchmarks.
 *
 * What a pod is here:
 * - a network namespace with its own address on a private bridge (10.213.77.0/24, inside
 *   namespaces this run creates; nothing on the host network), and a UTS namespace whose
 *   hostname is the pod name (`mysql-N`); `/etc/hosts` maps `mysql-N.mysql` to the pods;
 * - per container, a private mount namespace with the pod's data volume at /var/lib/mysql,
 *   its conf emptyDir at /etc/mysql/conf.d, the ConfigMap (built by the component's own
 *   `configMapData`) read-only at /mnt/config-map, the pod's /run/mysqld and /tmp, an
 *   image-like /etc/mysql/my.cnf, and a read-only root filesystem;
 * - processes run as the `mysql` OS user with no capabilities and no-new-privs, with only
 *   the contract's environment (spawned with a fresh environment, not `env -i` on a command
 *   line, so the passwords never show in `ps`);
 * - init containers `init-config`, `clone-from-peer` in order, then `mysql` and
 *   `clone-server`, which are restarted when they exit (restartPolicy Always); a pod is
 *   Ready when `probe.sh readiness` passes in container `mysql`; `scaleTo` starts pods in
 *   order, each after the previous one is Ready (OrderedReady), and stops them from the top.
 *
 * API (all async unless noted):
 *   Cluster.create(options)              prerequisites, bridge, client namespace, ConfigMap
 *   startPod(n, {waitReady})             init containers, then main containers; throws PodInitError
 *   waitReady(n, timeoutMs) / isReady(n)
 *   stopPod(n)                           SIGTERM to the containers, SIGKILL after a grace period
 *   scaleTo(k)                           OrderedReady scale up / down; volumes are kept
 *   killServer(n, signal)                signal the server process; it is restarted like a container
 *   killContainer(n, name, signal)       signal all processes of a main container; it is restarted
 *   killInit(n, signal)                  signal the init container that is running now
 *   containerProcesses(n, name) (sync)   pid and command of each process of a main container
 *   stopContainer(n, name) / startContainer(n, name)
 *   deleteVolume(n)                      empty pod n's data volume (pod must be stopped)
 *   sql(n, query, account?)              rows as string[][] over TCP from the client namespace
 *   checksums(n, tables)                 CHECKSUM TABLE results by table name
 *   waitCaughtUp(n, timeoutMs)           replica n has applied everything the primary has logged
 *   spawnInPod(n, argv)                  a process in pod n's network/UTS namespaces (as mysql)
 *   runStandalone({hostname, command})   a script run once in throwaway namespaces (bad input)
 *   logs(n, container) (sync)            that container's log so far
 *   destroy()                            ends every process, namespace and file of the run
 * Cleanup also runs from process exit/SIGINT/SIGTERM handlers.
 */
import { ChildProcess, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { configMapData } from "../../../components/mysql/files";
import { checkPrerequisites } from "./prerequisites";
import {
    appendLog,
    exited,
    killAllStarted,
    run,
    runOk,
    RunResult,
    signalGroup,
    startProcess,
    waitFor,
} from "./process";

export type ContainerName = "init-config" | "clone-from-peer" | "mysql" | "clone-server";
const INIT_CONTAINERS: ContainerName[] = ["init-config", "clone-from-peer"];
const MAIN_CONTAINERS: ContainerName[] = ["mysql", "clone-server"];
const SCRIPT_OF: Record<ContainerName, string> = {
    "init-config": "init-config.sh",
    "clone-from-peer": "clone-from-peer.sh",
    mysql: "run-mysqld.sh",
    "clone-server": "serve-backups.sh",
};

export const CLONE_PORT = 3307;
const SUBNET = "10.213.77";
const CLIENT_ADDRESS = `${SUBNET}.250`;
const PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** A locally administered unicast MAC from an IPv4 address: 02:00 + its four octets in hex. */
export function macFor(address: string): string {
    const octets = address.split(".").map(Number);
    if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) throw new Error(`not an IPv4 address: ${address}`);
    return ["02", "00", ...octets.map((o) => o.toString(16).padStart(2, "0"))].join(":");
}

/** Credentials of a database account. */
export interface Account {
    user: string;
    password: string;
}

export interface ClusterOptions {
    /** StatefulSet and headless Service name. Defaults to "mysql". */
    name?: string;
    /** Pods the run may start (their names go into /etc/hosts). Defaults to 6. */
    maxPods?: number;
    /** Where volumes, logs and generated files go. Defaults to a new directory under the OS temp dir. */
    workDir?: string;
    /** Keep workDir after destroy() (for debugging). Defaults to DATAPLANE_KEEP=1 in the environment. */
    keepWorkDir?: boolean;
}

/** An init container exited non-zero (or was killed); the pod did not start its main containers. */
export class PodInitError extends Error {
    constructor(
        readonly ordinal: number,
        readonly container: ContainerName,
        readonly code: number | null,
        readonly signal: NodeJS.Signals | null,
        readonly log: string,
    ) {
        super(`pod ${ordinal}: init container ${container} failed (${code ?? signal}):\n${log.split("\n").slice(-15).join("\n")}`);
    }
}

interface ContainerState {
    child?: ChildProcess;
    restarts: number;
    autoRestart: boolean;
}

interface PodState {
    ordinal: number;
    netns: string;
    holder: ChildProcess;
    stopping: boolean;
    initRunning?: ChildProcess;
    containers: Map<ContainerName, ContainerState>;
    /** Set on every container of the pod on top of the contract's (a scripts' test-only knob). */
    extraEnv: Record<string, string>;
}

const clusters = new Set<Cluster>();
let clustersMade = 0;
let handlersInstalled = false;

function installExitHandlers(): void {
    if (handlersInstalled) return;
    handlersInstalled = true;
    const destroyAll = () => {
        for (const c of clusters) c.destroySync();
        killAllStarted();
    };
    process.on("exit", destroyAll);
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        process.once(signal, () => {
            destroyAll();
            process.exit(130);
        });
    }
}

export class Cluster {
    readonly name: string;
    readonly workDir: string;
    /** The passwords deliberately contain quotes, backslashes and spaces: the scripts must quote them. */
    readonly root: Account = { user: "root", password: `r00t pass'"\\#$x` };
    readonly replication: Account = { user: "replicator", password: `repl 'pw' "\\" ;` };
    readonly backup: Account = { user: "backup", password: `back\\up "pw" #1'` };
    /** Plain on purpose: mysqld-exporter's option-file parser, not the scripts, limits it (generated ones are alphanumeric). */
    readonly metrics: Account = { user: "metrics", password: "m3trics-Pw-9x" };
    private readonly prefix: string;
    private readonly maxPods: number;
    private readonly keepWorkDir: boolean;
    private readonly pods = new Map<number, PodState>();
    private readonly netnsMade: string[] = [];
    private readonly ids: { uid: number; gid: number };
    private destroyed = false;

    private constructor(options: ClusterOptions, ids: { uid: number; gid: number }) {
        this.ids = ids;
        this.name = options.name ?? "mysql";
        this.maxPods = options.maxPods ?? 6;
        // Unique per cluster and run, and short: interface names have at most 15 characters.
        this.prefix = `rmdp${process.pid}c${clustersMade++}`;
        this.workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "dataplane-"));
        this.keepWorkDir = options.keepWorkDir ?? process.env.DATAPLANE_KEEP === "1";
    }

    static async create(options: ClusterOptions = {}): Promise<Cluster> {
        const ids = checkPrerequisites();
        installExitHandlers();
        const cluster = new Cluster(options, ids);
        clusters.add(cluster);
        try {
            await cluster.setUp();
        } catch (e) {
            await cluster.destroy();
            throw e;
        }
        return cluster;
    }

    // ---- paths -------------------------------------------------------------------------

    podName(n: number): string {
        return `${this.name}-${n}`;
    }
    address(n: number): string {
        return `${SUBNET}.${10 + n}`;
    }
    dataDir(n: number): string {
        return path.join(this.workDir, "volumes", `data-${this.podName(n)}`);
    }
    private podDir(n: number, what: "conf" | "run" | "tmp"): string {
        return path.join(this.workDir, "pods", this.podName(n), what);
    }
    private get configMapDir(): string {
        return path.join(this.workDir, "config-map");
    }
    private logFile(n: number | string, container: string): string {
        return path.join(this.workDir, "logs", `${typeof n === "number" ? this.podName(n) : n}.${container}.log`);
    }
    private get eventsLog(): string {
        return path.join(this.workDir, "logs", "events.log");
    }

    /** The log of one container of pod n (all its runs). */
    logs(n: number, container: ContainerName): string {
        const file = this.logFile(n, container);
        return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    }

    // ---- set-up ------------------------------------------------------------------------

    private mkdirOwned(dir: string): void {
        fs.mkdirSync(dir, { recursive: true });
        fs.chownSync(dir, this.ids.uid, this.ids.gid);
    }

    private async setUp(): Promise<void> {
        for (const dir of ["volumes", "pods", "logs", "credentials", "config-map"]) {
            fs.mkdirSync(path.join(this.workDir, dir), { recursive: true });
        }
        // Traversable by the mysql user (fake peers read files here); the credentials stay private.
        fs.chmodSync(this.workDir, 0o711);
        fs.chmodSync(path.join(this.workDir, "credentials"), 0o700);
        for (const [file, content] of Object.entries(configMapData("mariadb"))) {
            fs.writeFileSync(path.join(this.configMapDir, file), content, { mode: 0o644 });
        }
        const hosts = ["127.0.0.1 localhost"];
        for (let n = 0; n < this.maxPods; n++) {
            hosts.push(`${this.address(n)} ${this.podName(n)}.${this.name} ${this.podName(n)}`);
        }
        fs.writeFileSync(path.join(this.workDir, "hosts"), hosts.join("\n") + "\n", { mode: 0o644 });
        // As in the mariadb image, whose my.cnf reads conf.d last and whose packaged
        // bind-address is commented out; Debian's own my.cnf would let mariadb.conf.d's
        // bind-address=127.0.0.1 win over conf.d.
        fs.writeFileSync(path.join(this.workDir, "my.cnf"), "[client-server]\n!includedir /etc/mysql/conf.d/\n", { mode: 0o644 });
        for (const mountPoint of ["/var/lib/mysql", "/etc/mysql/conf.d", "/run/mysqld"]) {
            fs.mkdirSync(mountPoint, { recursive: true });
        }

        const bridge = `${this.prefix}br`;
        await this.addNetns(bridge);
        await runOk("ip", ["-n", bridge, "link", "add", "br0", "type", "bridge"]);
        await runOk("ip", ["-n", bridge, "link", "set", "br0", "up"]);
        await this.attach(`${this.prefix}cl`, "vcl", CLIENT_ADDRESS);
        appendLog(this.eventsLog, `cluster ${this.prefix} set up in ${this.workDir}`);
    }

    private async addNetns(name: string): Promise<void> {
        await runOk("ip", ["netns", "add", name]);
        this.netnsMade.push(name);
        await runOk("ip", ["-n", name, "link", "set", "lo", "up"]);
    }

    /**
     * A network namespace on the bridge with one address. Its eth0 gets a MAC derived from
     * that address, so a pod started again keeps its MAC under its old IP and peers' ARP
     * entries stay right (a new random MAC left them stale for ~5 s, past connect timeouts).
     */
    private async attach(netns: string, hostSide: string, address: string): Promise<void> {
        const bridge = `${this.prefix}br`;
        await this.addNetns(netns);
        await runOk("ip", ["-n", bridge, "link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "address", macFor(address), "netns", netns]);
        await runOk("ip", ["-n", bridge, "link", "set", hostSide, "master", "br0", "up"]);
        await runOk("ip", ["-n", netns, "addr", "add", `${address}/24`, "dev", "eth0"]);
        await runOk("ip", ["-n", netns, "link", "set", "eth0", "up"]);
    }

    /**
     * Takes a pod's namespace off the bridge for good before it returns. Deleting a named
     * netns only drops its mount; the kernel frees the namespace, and with it the veth pair,
     * later on a work queue. On a busy 2-core CI machine that outlasted a scale-down followed
     * at once by a scale-up, and re-adding `vpN` failed with "File exists". So: end any
     * process of this pod still inside the netns (all were started by this run), delete the
     * veth pair by its bridge side (synchronous), delete the netns, and check the name is free.
     */
    private async detach(netns: string, hostSide: string): Promise<void> {
        const bridge = `${this.prefix}br`;
        const left = (await run("ip", ["netns", "pids", netns])).stdout.split(/\s+/).filter((p) => /^\d+$/.test(p));
        for (const pid of left) {
            appendLog(this.eventsLog, `${netns}: process ${pid} outlived its pod; SIGKILL`);
            try {
                process.kill(Number(pid), "SIGKILL");
            } catch {
                // Exited meanwhile.
            }
        }
        if (left.length > 0) {
            await waitFor(`processes of ${netns} to exit`, 10000, async () =>
                (await run("ip", ["netns", "pids", netns])).stdout.trim() === "" ? true : undefined, 50);
        }
        await run("ip", ["-n", bridge, "link", "del", hostSide]);
        await this.deleteNetns(netns);
        const still = await run("ip", ["-n", bridge, "link", "show", hostSide]);
        if (still.code === 0) throw new Error(`${hostSide} still exists on the bridge after deleting ${netns}`);
    }

    private async deleteNetns(name: string): Promise<void> {
        await run("ip", ["netns", "del", name]);
        const i = this.netnsMade.indexOf(name);
        if (i >= 0) this.netnsMade.splice(i, 1);
    }

    // ---- containers --------------------------------------------------------------------

    /** The contract's environment, and nothing else (plus PATH and HOSTNAME, as the kubelet sets). */
    env(hostname: string): NodeJS.ProcessEnv {
        return {
            PATH: PATH_ENV,
            HOSTNAME: hostname,
            MYSQL_ENGINE: "mariadb",
            PEER_SERVICE: this.name,
            CLONE_PORT: String(CLONE_PORT),
            MYSQL_ROOT_PASSWORD: this.root.password,
            REPLICATION_USER: this.replication.user,
            REPLICATION_PASSWORD: this.replication.password,
            BACKUP_USER: this.backup.user,
            BACKUP_PASSWORD: this.backup.password,
            METRICS_USER: this.metrics.user,
            METRICS_PASSWORD: this.metrics.password,
        };
    }

    /** Shell run as root in the container's new mount namespace: mounts, then drop to mysql. */
    private containerShell(dirs: { data: string; conf: string; run: string; tmp: string }, argv: string[]): string {
        const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
        return [
            "set -e",
            `mount --bind ${q(dirs.data)} /var/lib/mysql`,
            `mount --bind ${q(dirs.conf)} /etc/mysql/conf.d`,
            `mount --bind ${q(dirs.run)} /run/mysqld`,
            `mount --bind ${q(path.join(this.workDir, "hosts"))} /etc/hosts`,
            `mount --bind ${q(path.join(this.workDir, "my.cnf"))} /etc/mysql/my.cnf`,
            // /mnt gets a private tmpfs so the host needs no /mnt/config-map.
            "mount -t tmpfs -o size=1m,mode=0755 tmpfs /mnt",
            "mkdir /mnt/config-map",
            `mount --bind ${q(this.configMapDir)} /mnt/config-map`,
            "mount -o remount,bind,ro /mnt/config-map",
            // Last: the sources above may live under the host's /tmp.
            `mount --bind ${q(dirs.tmp)} /tmp`,
            "mount -o remount,bind,ro /",
            // Only the contract's environment: drop what this root shell itself exported.
            `exec env -u PWD -u OLDPWD -u SHLVL -u _ setpriv --reuid=${this.ids.uid} --regid=${this.ids.gid} --clear-groups --no-new-privs ` +
                `--inh-caps=-all --bounding-set=-all -- ${argv.map(q).join(" ")}`,
        ].join("\n");
    }

    private spawnContainer(pod: PodState, name: ContainerName, argv: string[]): ChildProcess {
        const n = pod.ordinal;
        const log = fs.openSync(this.logFile(n, name), "a");
        const dirs = { data: this.dataDir(n), conf: this.podDir(n, "conf"), run: this.podDir(n, "run"), tmp: this.podDir(n, "tmp") };
        const child = startProcess(
            "nsenter",
            ["-t", String(pod.holder.pid), "-n", "-u", "--", "unshare", "--mount", "--propagation", "private", "--",
                "bash", "--norc", "--noprofile", "-c", this.containerShell(dirs, argv)],
            { env: { ...this.env(this.podName(n)), ...pod.extraEnv }, stdio: ["ignore", log, log] },
        );
        fs.closeSync(log);
        appendLog(this.eventsLog, `${this.podName(n)}/${name}: started pid ${child.pid}`);
        return child;
    }

    private startMain(pod: PodState, name: ContainerName): void {
        const state = pod.containers.get(name) ?? { restarts: 0, autoRestart: true };
        pod.containers.set(name, state);
        const child = this.spawnContainer(pod, name, ["bash", `/mnt/config-map/${SCRIPT_OF[name]}`]);
        state.child = child;
        child.on("exit", (code, signal) => {
            appendLog(this.eventsLog, `${this.podName(pod.ordinal)}/${name}: exited (${code ?? signal})`);
            if (pod.stopping || !state.autoRestart || state.child !== child) return;
            // restartPolicy Always, with a short back-off.
            setTimeout(() => {
                if (pod.stopping || !state.autoRestart || state.child !== child) return;
                state.restarts++;
                this.startMain(pod, name);
            }, 1000);
        });
    }

    private pod(n: number): PodState {
        const pod = this.pods.get(n);
        if (!pod) throw new Error(`pod ${n} is not running`);
        return pod;
    }

    isRunning(n: number): boolean {
        return this.pods.has(n);
    }

    /** How often a main container was restarted after it exited. */
    restarts(n: number, name: ContainerName): number {
        return this.pod(n).containers.get(name)?.restarts ?? 0;
    }

    /**
     * Runs the init containers, then the main containers; by default waits until Ready.
     * `env` is added to every container's environment: only for the scripts' test-only knobs.
     */
    async startPod(n: number, options: { waitReady?: boolean; readyTimeoutMs?: number; env?: Record<string, string> } = {}): Promise<void> {
        if (this.pods.has(n)) throw new Error(`pod ${n} is already running`);
        if (n >= this.maxPods) throw new Error(`pod ${n}: only ${this.maxPods} pods are in /etc/hosts`);
        this.mkdirOwned(this.dataDir(n));
        for (const what of ["conf", "run", "tmp"] as const) {
            fs.rmSync(this.podDir(n, what), { recursive: true, force: true });
            this.mkdirOwned(this.podDir(n, what));
        }
        const netns = `${this.prefix}p${n}`;
        await this.attach(netns, `vp${n}`, this.address(n));
        const holder = startProcess(
            "nsenter",
            [`--net=/run/netns/${netns}`, "--", "unshare", "--uts", "--", "sh", "-c", 'hostname "$1" && exec sleep infinity', "sh", this.podName(n)],
            { env: { PATH: PATH_ENV }, stdio: "ignore" },
        );
        await waitFor(`pod ${n} namespaces`, 10000, async () =>
            fs.existsSync(`/proc/${holder.pid}/comm`) && fs.readFileSync(`/proc/${holder.pid}/comm`, "utf8").trim() === "sleep" ? true : undefined,
        50);
        const pod: PodState = { ordinal: n, netns, holder, stopping: false, containers: new Map(), extraEnv: options.env ?? {} };
        this.pods.set(n, pod);
        appendLog(this.eventsLog, `${this.podName(n)}: created`);

        for (const name of INIT_CONTAINERS) {
            const child = this.spawnContainer(pod, name, ["bash", `/mnt/config-map/${SCRIPT_OF[name]}`]);
            pod.initRunning = child;
            await exited(child);
            pod.initRunning = undefined;
            appendLog(this.eventsLog, `${this.podName(n)}/${name}: exited (${child.exitCode ?? child.signalCode})`);
            if (child.exitCode !== 0) {
                throw new PodInitError(n, name, child.exitCode, child.signalCode, this.logs(n, name));
            }
        }
        for (const name of MAIN_CONTAINERS) this.startMain(pod, name);
        if (options.waitReady !== false) await this.waitReady(n, options.readyTimeoutMs);
    }

    /** Runs argv inside a running container's namespaces, as the mysql user, with the contract's environment. */
    async exec(n: number, container: ContainerName, argv: string[], options: { input?: string } = {}): Promise<RunResult> {
        const pid = this.pod(n).containers.get(container)?.child?.pid;
        if (pid === undefined) throw new Error(`pod ${n}: container ${container} is not running`);
        return run(
            "nsenter",
            ["-t", String(pid), "-m", "-n", "-u", "--", "setpriv", `--reuid=${this.ids.uid}`, `--regid=${this.ids.gid}`,
                "--clear-groups", "--no-new-privs", "--", ...argv],
            { env: this.env(this.podName(n)), input: options.input, timeoutMs: 30000 },
        );
    }

    /** True when `probe.sh readiness` passes in container mysql. */
    async isReady(n: number): Promise<boolean> {
        const state = this.pods.get(n)?.containers.get("mysql");
        if (!state?.child || state.child.exitCode !== null || state.child.signalCode !== null) return false;
        const r = await this.exec(n, "mysql", ["bash", "/mnt/config-map/probe.sh", "readiness"]).catch(() => undefined);
        return r?.code === 0;
    }

    async waitReady(n: number, timeoutMs = 120000): Promise<void> {
        await waitFor(`pod ${n} to become Ready`, timeoutMs, async () => ((await this.isReady(n)) ? true : undefined), 250);
        appendLog(this.eventsLog, `${this.podName(n)}: Ready`);
    }

    /** Deletes the pod: SIGTERM to its containers, SIGKILL after `graceMs`; the data volume stays. */
    async stopPod(n: number, graceMs = 60000): Promise<void> {
        const pod = this.pod(n);
        pod.stopping = true;
        const children = [pod.initRunning, ...[...pod.containers.values()].map((c) => c.child)].filter(
            (c): c is ChildProcess => c !== undefined,
        );
        for (const c of children) signalGroup(c, "SIGTERM");
        const timer = setTimeout(() => children.forEach((c) => signalGroup(c, "SIGKILL")), graceMs);
        await Promise.all(children.map(exited));
        clearTimeout(timer);
        signalGroup(pod.holder, "SIGKILL");
        await exited(pod.holder);
        await this.detach(pod.netns, `vp${n}`);
        for (const what of ["conf", "run", "tmp"] as const) fs.rmSync(this.podDir(n, what), { recursive: true, force: true });
        this.pods.delete(n);
        appendLog(this.eventsLog, `${this.podName(n)}: deleted`);
    }

    /**
     * Cuts pod n off the network without closing anything (its bridge port down: packets to
     * and from it are dropped, as when a node is lost), or puts it back.
     */
    async setLink(n: number, up: boolean): Promise<void> {
        this.pod(n);
        await runOk("ip", ["-n", `${this.prefix}br`, "link", "set", `vp${n}`, up ? "up" : "down"]);
        appendLog(this.eventsLog, `${this.podName(n)}: network ${up ? "restored" : "cut"}`);
    }

    /** Pods that run now, in order. */
    runningPods(): number[] {
        return [...this.pods.keys()].sort((a, b) => a - b);
    }

    /** OrderedReady scaling: up in order, each pod Ready before the next; down from the top. */
    async scaleTo(replicas: number): Promise<void> {
        for (let n = 0; n < replicas; n++) if (!this.pods.has(n)) await this.startPod(n);
        for (const n of this.runningPods().reverse()) if (n >= replicas) await this.stopPod(n);
    }

    /** Signals the server process of pod n and waits until it has exited; it is restarted like a container. */
    async killServer(n: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
        const child = this.pod(n).containers.get("mysql")?.child;
        if (!child?.pid) throw new Error(`pod ${n}: no server running`);
        process.kill(child.pid, signal);
        await exited(child);
    }

    /** Signals every process of a main container, as a container kill does; it is restarted. */
    async killContainer(n: number, name: ContainerName, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
        const child = this.pod(n).containers.get(name)?.child;
        if (!child) throw new Error(`pod ${n}: container ${name} is not running`);
        signalGroup(child, signal);
        await exited(child);
    }

    /** The processes of a main container (its process group), e.g. to find one to kill. */
    containerProcesses(n: number, name: ContainerName): { pid: number; command: string }[] {
        const pgid = this.pod(n).containers.get(name)?.child?.pid;
        if (pgid === undefined) return [];
        const found: { pid: number; command: string }[] = [];
        for (const entry of fs.readdirSync("/proc")) {
            if (!/^\d+$/.test(entry)) continue;
            try {
                const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
                // Fields after the parenthesised command: state, ppid, pgrp, ...
                const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
                if (Number(fields[2]) === pgid) {
                    found.push({ pid: Number(entry), command: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) });
                }
            } catch {
                // The process ended while we looked.
            }
        }
        return found;
    }

    /** Signals the init container that runs now in pod n (e.g. to interrupt a clone). */
    killInit(n: number, signal: NodeJS.Signals = "SIGKILL"): void {
        const child = this.pod(n).initRunning;
        if (!child) throw new Error(`pod ${n}: no init container is running`);
        signalGroup(child, signal);
    }

    /** Stops one main container and keeps it stopped until startContainer. */
    async stopContainer(n: number, name: ContainerName): Promise<void> {
        const state = this.pod(n).containers.get(name);
        if (!state?.child) throw new Error(`pod ${n}: container ${name} is not running`);
        state.autoRestart = false;
        signalGroup(state.child, "SIGTERM");
        await exited(state.child);
    }

    startContainer(n: number, name: ContainerName): void {
        const pod = this.pod(n);
        const state = pod.containers.get(name);
        if (state) state.autoRestart = true;
        this.startMain(pod, name);
    }

    /** Empties pod n's data volume, as if its PVC were deleted and recreated. */
    deleteVolume(n: number): void {
        if (this.pods.has(n)) throw new Error(`pod ${n} is running: stop it before deleting its volume`);
        fs.rmSync(this.dataDir(n), { recursive: true, force: true });
        this.mkdirOwned(this.dataDir(n));
    }

    /** A long-running process in pod n's network and UTS namespaces, as the mysql user. */
    spawnInPod(n: number, argv: string[], logName: string): ChildProcess {
        const log = fs.openSync(this.logFile(n, logName), "a");
        const child = startProcess(
            "nsenter",
            ["-t", String(this.pod(n).holder.pid), "-n", "-u", "--", "setpriv", `--reuid=${this.ids.uid}`,
                `--regid=${this.ids.gid}`, "--clear-groups", "--", ...argv],
            { env: { PATH: PATH_ENV }, stdio: ["ignore", log, log] },
        );
        fs.closeSync(log);
        return child;
    }

    /**
     * Runs one pod script once in throwaway namespaces with the given hostname (no network),
     * on fresh or given volumes. Returns its result and the files it left in conf.d.
     */
    async runStandalone(options: {
        hostname: string;
        /** Shell command run as the mysql user, e.g. "bash /mnt/config-map/init-config.sh". */
        command: string;
        dataDir?: string;
        /** Replaces variables of the contract's environment; undefined removes one. */
        env?: Record<string, string | undefined>;
    }): Promise<RunResult & { confFiles: string[]; dataFiles: string[] }> {
        const base = fs.mkdtempSync(path.join(this.workDir, "standalone-"));
        const dirs = {
            data: options.dataDir ?? path.join(base, "data"),
            conf: path.join(base, "conf"),
            run: path.join(base, "run"),
            tmp: path.join(base, "tmp"),
        };
        for (const dir of Object.values(dirs)) this.mkdirOwned(dir);
        const shell = `hostname "$1"\n` + this.containerShell(dirs, ["bash", "-c", options.command]);
        const env: NodeJS.ProcessEnv = { ...this.env(options.hostname), ...options.env };
        for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
        // --norc: bash would read root's ~/.bashrc when stdin is a socket, as Node's pipes are.
        const result = await run("unshare", ["--uts", "--mount", "--propagation", "private", "--", "bash", "--norc", "--noprofile", "-c", shell, "bash", options.hostname], {
            env,
            timeoutMs: 120000,
        });
        return { ...result, confFiles: fs.readdirSync(dirs.conf).sort(), dataFiles: fs.readdirSync(dirs.data).sort() };
    }

    // ---- SQL ---------------------------------------------------------------------------

    /**
     * Written to a temporary file and renamed: a client started by an earlier call may be
     * reading the file right now, and must never see it empty ("using password: NO").
     */
    private optionFile(account: Account): string {
        const file = path.join(this.workDir, "credentials", `${Buffer.from(account.user).toString("hex")}.cnf`);
        const value = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
        fs.writeFileSync(`${file}.tmp`, `[client]\nuser="${value(account.user)}"\npassword="${value(account.password)}"\n`, { mode: 0o600 });
        fs.renameSync(`${file}.tmp`, file);
        return file;
    }

    /** Client arguments for pod n from the client namespace; credentials in a 0600 option file. */
    clientArgs(n: number, account: Account = this.root): string[] {
        return [`--net=/run/netns/${this.prefix}cl`, "--", "mariadb", `--defaults-extra-file=${this.optionFile(account)}`,
            "--protocol=TCP", `--host=${this.address(n)}`, "--port=3306", "--connect-timeout=5", "--batch", "--skip-column-names"];
    }

    /** Runs SQL (fed on stdin) on pod n over TCP, as an application would; rejects with the server's error. */
    async sql(n: number, query: string, account: Account = this.root): Promise<string[][]> {
        const r = await run("nsenter", this.clientArgs(n, account), { input: query, timeoutMs: 120000 });
        if (r.code !== 0) throw new Error(`SQL on pod ${n} as ${account.user} failed: ${r.stderr.trim()}`);
        return r.stdout.split("\n").filter((line) => line !== "").map((line) => line.split("\t"));
    }

    /** A single value. */
    async value(n: number, query: string, account: Account = this.root): Promise<string> {
        const rows = await this.sql(n, query, account);
        if (rows.length !== 1 || rows[0].length !== 1) throw new Error(`expected one value from "${query}", got ${JSON.stringify(rows)}`);
        return rows[0][0];
    }

    /** CHECKSUM TABLE of each table (db.table) on pod n. */
    async checksums(n: number, tables: string[]): Promise<Record<string, string>> {
        const rows = await this.sql(n, `CHECKSUM TABLE ${tables.join(", ")} EXTENDED`);
        return Object.fromEntries(rows.map(([table, sum]) => [table, sum]));
    }

    /** Waits until replica n has applied every transaction the primary has logged so far. */
    async waitCaughtUp(n: number, timeoutMs = 60000): Promise<void> {
        const position = await this.value(0, "SELECT @@gtid_binlog_pos");
        const seconds = Math.ceil(timeoutMs / 1000);
        const result = await this.value(n, `SELECT MASTER_GTID_WAIT('${position}', ${seconds})`);
        if (result !== "0") throw new Error(`pod ${n} did not reach the primary's GTID position ${position} within ${seconds}s`);
    }

    // ---- teardown ----------------------------------------------------------------------

    /** Ends every pod, namespace and file of the run. */
    async destroy(): Promise<void> {
        if (this.destroyed) return;
        for (const n of this.runningPods().reverse()) {
            await this.stopPod(n, 20000).catch(() => undefined);
        }
        this.destroySync();
    }

    /** Synchronous last resort (exit and signal handlers): SIGKILL what this run started. */
    destroySync(): void {
        if (this.destroyed) return;
        this.destroyed = true;
        clusters.delete(this);
        for (const pod of this.pods.values()) {
            pod.stopping = true;
            signalGroup(pod.holder, "SIGKILL");
            if (pod.initRunning) signalGroup(pod.initRunning, "SIGKILL");
            for (const c of pod.containers.values()) if (c.child) signalGroup(c.child, "SIGKILL");
        }
        for (const netns of [...this.netnsMade].reverse()) {
            try {
                execFileSync("ip", ["netns", "del", netns], { stdio: "ignore" });
            } catch {
                // Already gone.
            }
        }
        this.netnsMade.length = 0;
        this.pods.clear();
        if (!this.keepWorkDir) fs.rmSync(this.workDir, { recursive: true, force: true });
    }
}
