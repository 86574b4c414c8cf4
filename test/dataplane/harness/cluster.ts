/**
 * A replicated-MySQL StatefulSet without Kubernetes: the component's pod, read from its own
 * StatefulSet spec (pod-spec.ts), runs its unchanged scripts against real servers of either
 * engine, each pod in its own Linux namespaces. Used by the data-plane tests and the
 * benchmarks.
 *
 * What a pod is here:
 * - a network namespace on a private bridge (network.ts) and a UTS namespace whose
 *   hostname is the pod name (`mysql-N`); `/etc/hosts` maps `mysql-N.mysql` to the pods;
 * - per container, the engine's image root filesystem read-only (engines.ts; container.ts)
 *   with the spec's volume mounts: the pod's data volume, its conf emptyDir, the ConfigMap
 *   (built by the component's own `configMapData`), the pod's /run/mysqld and /tmp;
 * - processes run as the mysql user with no capabilities and no-new-privs, with only the
 *   spec's environment (spawned with a fresh environment, so passwords never show in `ps`);
 * - the spec's init containers in order, then its containers, restarted when they exit
 *   (restartPolicy Always); a pod is Ready when the server container's readiness probe
 *   passes; `scaleTo` starts pods in order, each after the previous one is Ready
 *   (OrderedReady), and stops them from the top.
 *
 * API (all async unless noted):
 *   Cluster.create({engine})             prerequisites, bridge, client namespace, ConfigMap
 *   startPod(n, {waitReady})             init containers, then containers; throws PodInitError
 *   waitReady(n, timeoutMs) / isReady(n) / readiness(n)   readiness(n): the probe's verdict and reason
 *   stopPod(n)                           SIGTERM to the containers, SIGKILL after a grace period
 *   scaleTo(k)                           OrderedReady scale up / down; volumes are kept
 *   killServer(n, signal)                signal the server process; it is restarted like a container
 *   killContainer(n, name, signal)       signal all processes of a container; it is restarted
 *   killInit(n, signal)                  signal the init container that is running now
 *   containerProcesses(n, name) (sync)   pid and command of each process of a container
 *   stopContainer(n, name) / startContainer(n, name)
 *   setLink(n, up)                       cut pod n off the network, or put it back
 *   deleteVolume(n)                      empty pod n's data volume (pod must be stopped)
 *   sql(n, query, account?)              rows as string[][] over TCP from the client namespace
 *   checksums(n, tables)                 CHECKSUM TABLE results by table name
 *   waitCaughtUp(n, timeoutMs)           replica n has applied everything the primary has logged
 *   spawnInPod(n, argv)                  a host process in pod n's network/UTS namespaces (as mysql)
 *   runStandalone({hostname, command})   a script run once in throwaway namespaces (bad input)
 *   adoptVolume(dir) (sync)              chown a copied volume to this engine's mysql user
 *   logs(n, container) (sync)            that container's log so far
 *   destroy()                            ends every process, namespace and file of the run
 * Cleanup also runs from process exit/SIGINT/SIGTERM handlers.
 */
import { ChildProcess, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Engine } from "../../../components/mysql/engine";
import { configMapData } from "../../../components/mysql/files";
import { containerShell, ContainerView, Mount } from "./container";
import { ENGINE_HARNESS, EngineHarness } from "./engines";
import { PodNetwork } from "./network";
import { ContainerSpec, podSpec, PodSpec, secretValues, VolumeName } from "./pod-spec";
import { checkPrerequisites } from "./prerequisites";
import { appendLog, exited, killAllStarted, run, RunResult, signalGroup, startProcess, waitFor } from "./process";
import { Account, SqlClient } from "./sql";

export { Account } from "./sql";
export { macFor } from "./network";

const PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface ClusterOptions {
    /** Database engine of the pods. Defaults to "mariadb". */
    engine?: Engine;
    /** StatefulSet and headless Service name. Defaults to "mysql". */
    name?: string;
    /** Pods the run may start (their names go into /etc/hosts). Defaults to 6. */
    maxPods?: number;
    /** Where volumes, logs and generated files go. Defaults to a new directory under the OS temp dir. */
    workDir?: string;
    /** Keep workDir after destroy() (for debugging). Defaults to DATAPLANE_KEEP=1 in the environment. */
    keepWorkDir?: boolean;
}

/** An init container exited non-zero (or was killed); the pod did not start its containers. */
export class PodInitError extends Error {
    constructor(
        readonly ordinal: number,
        readonly container: string,
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
    holder: ChildProcess;
    stopping: boolean;
    initRunning?: ChildProcess;
    containers: Map<string, ContainerState>;
    /** Set on every container of the pod on top of the spec's (a scripts' test-only knob). */
    extraEnv: Record<string, string>;
}

type VolumeDirs = Record<VolumeName, string>;

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
    readonly engine: Engine;
    readonly workDir: string;
    /** The pod as the component's StatefulSet spec defines it. */
    readonly spec: PodSpec;
    /** The passwords deliberately contain quotes, backslashes and spaces: the scripts must quote them. */
    readonly root: Account = { user: "root", password: `r00t pass'"\\#$x` };
    readonly replication: Account = { user: "replicator", password: `repl 'pw' "\\" ;` };
    readonly backup: Account = { user: "backup", password: `back\\up "pw" #1'` };
    /** Plain on purpose: mysqld-exporter's option-file parser, not the scripts, limits it (generated ones are alphanumeric). */
    readonly metrics: Account = { user: "metrics", password: "m3trics-Pw-9x" };
    private readonly harness: EngineHarness;
    private readonly network: PodNetwork;
    private readonly client: SqlClient;
    private readonly maxPods: number;
    private readonly keepWorkDir: boolean;
    private readonly pods = new Map<number, PodState>();
    private readonly ids: { uid: number; gid: number };
    private destroyed = false;

    private constructor(options: ClusterOptions, ids: { uid: number; gid: number }) {
        this.ids = ids;
        this.engine = options.engine ?? "mariadb";
        this.harness = ENGINE_HARNESS[this.engine];
        this.name = options.name ?? "mysql";
        this.spec = podSpec(this.name, this.engine);
        this.maxPods = options.maxPods ?? 6;
        this.workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `dataplane-${this.engine}-`));
        this.keepWorkDir = options.keepWorkDir ?? process.env.DATAPLANE_KEEP === "1";
        // Unique per cluster and run, and short: interface names have at most 15 characters.
        this.network = new PodNetwork(`rmdp${process.pid}c${clustersMade++}`, this.eventsLog);
        this.client = new SqlClient(this.harness, { credentialsDir: path.join(this.workDir, "credentials"), layerDir: this.layerDir }, this.network.clientNetns, ids, (n) => this.address(n));
    }

    static async create(options: ClusterOptions = {}): Promise<Cluster> {
        const ids = checkPrerequisites(ENGINE_HARNESS[options.engine ?? "mariadb"]);
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
        return this.network.podAddress(n);
    }
    /** Pod n's network namespace, and the client's (e.g. to look at links and ARP entries). */
    podNetns(n: number): string {
        return this.network.podNetns(n);
    }
    get clientNetns(): string {
        return this.network.clientNetns;
    }
    dataDir(n: number): string {
        return path.join(this.workDir, "volumes", `data-${this.podName(n)}`);
    }
    private podDir(n: number, what: "conf" | "run" | "tmp"): string {
        return path.join(this.workDir, "pods", this.podName(n), what);
    }
    /** Where each container's private overlay layer is mounted (in its own mount namespace). */
    get layerDir(): string {
        return path.join(this.workDir, "layer");
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
    logs(n: number, container: string): string {
        const file = this.logFile(n, container);
        return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    }

    /** Names of the pod's containers (not init containers), in spec order. */
    get containerNames(): string[] {
        return this.spec.containers.map((c) => c.name);
    }

    /** The pod scripts that the containers of an engine's pod run, init containers first. */
    static scriptsOf(engine: Engine, name = "mysql"): string[] {
        const spec = podSpec(name, engine);
        return [...spec.initContainers, ...spec.containers].map((c) => path.basename(c.command[c.command.length - 1]));
    }

    // ---- set-up ------------------------------------------------------------------------

    /**
     * Gives every file under DIR to this cluster's mysql user. On Kubernetes both engines'
     * images run as uid 999, so a volume keeps its owner across an engine switch; here each
     * engine's user has the uid its packages gave it.
     */
    adoptVolume(dir: string): void {
        execFileSync("chown", ["-R", "--no-dereference", `${this.ids.uid}:${this.ids.gid}`, dir]);
    }

    private mkdirOwned(dir: string): void {
        fs.mkdirSync(dir, { recursive: true });
        fs.chownSync(dir, this.ids.uid, this.ids.gid);
    }

    private async setUp(): Promise<void> {
        for (const dir of ["volumes", "pods", "logs", "config-map", "layer"]) {
            fs.mkdirSync(path.join(this.workDir, dir), { recursive: true });
        }
        // Traversable by the mysql user (fake peers read files here).
        fs.chmodSync(this.workDir, 0o711);
        // The client runs as the mysql user and reads its option files here; nobody else can.
        this.mkdirOwned(path.join(this.workDir, "credentials"));
        fs.chmodSync(path.join(this.workDir, "credentials"), 0o700);
        for (const [file, content] of Object.entries(configMapData(this.engine))) {
            fs.writeFileSync(path.join(this.configMapDir, file), content, { mode: 0o644 });
        }
        const hosts = ["127.0.0.1 localhost"];
        for (let n = 0; n < this.maxPods; n++) {
            hosts.push(`${this.address(n)} ${this.podName(n)}.${this.name} ${this.podName(n)}`);
        }
        fs.writeFileSync(path.join(this.workDir, "hosts"), hosts.join("\n") + "\n", { mode: 0o644 });
        // The image's mount points (the host's own, when the host's root is the image).
        const rootfs = this.harness.rootfs();
        if (rootfs === "") for (const mountPoint of ["/var/lib/mysql", "/etc/mysql/conf.d", "/run/mysqld"]) fs.mkdirSync(mountPoint, { recursive: true });

        await this.network.setUp();
        appendLog(this.eventsLog, `cluster ${this.engine} set up in ${this.workDir}${rootfs ? ` (root filesystem ${rootfs})` : ""}`);
    }

    // ---- containers --------------------------------------------------------------------

    /** A container's environment: the spec's, with the Secret's values, plus PATH and HOSTNAME as the kubelet sets. */
    private env(spec: ContainerSpec, hostname: string): NodeJS.ProcessEnv {
        const secrets = secretValues({
            root: this.root.password,
            replication: this.replication.password,
            backup: this.backup.password,
            metrics: this.metrics.password,
        });
        const env: NodeJS.ProcessEnv = { PATH: PATH_ENV, HOSTNAME: hostname };
        for (const e of spec.env) {
            const value = e.secretKey !== undefined ? secrets[e.secretKey] : e.value;
            if (value === undefined) throw new Error(`container ${spec.name}: no value for ${e.name} (Secret key ${e.secretKey})`);
            env[e.name] = value;
        }
        return env;
    }

    private view(mounts: ContainerSpec["mounts"], dirs: VolumeDirs): ContainerView {
        const imageFiles: Mount[] = [{ source: path.join(this.workDir, "hosts"), target: "/etc/hosts", readOnly: true }];
        return {
            rootfs: this.harness.rootfs(),
            layerDir: this.layerDir,
            imageFiles,
            mounts: mounts.map((m) => ({ source: dirs[m.volume], target: m.mountPath, readOnly: m.readOnly })),
            ...this.ids,
        };
    }

    private podVolumes(n: number): VolumeDirs {
        return { data: this.dataDir(n), conf: this.podDir(n, "conf"), "config-map": this.configMapDir, run: this.podDir(n, "run"), tmp: this.podDir(n, "tmp") };
    }

    private spawnContainer(pod: PodState, spec: ContainerSpec): ChildProcess {
        const n = pod.ordinal;
        const log = fs.openSync(this.logFile(n, spec.name), "a");
        const child = startProcess(
            "nsenter",
            ["-t", String(pod.holder.pid), "-n", "-u", "--", "unshare", "--mount", "--propagation", "private", "--",
                "bash", "--norc", "--noprofile", "-c", containerShell(this.view(spec.mounts, this.podVolumes(n)), spec.command)],
            { env: { ...this.env(spec, this.podName(n)), ...pod.extraEnv }, stdio: ["ignore", log, log] },
        );
        fs.closeSync(log);
        appendLog(this.eventsLog, `${this.podName(n)}/${spec.name}: started pid ${child.pid}`);
        return child;
    }

    private containerSpec(name: string): ContainerSpec {
        const spec = this.spec.containers.find((c) => c.name === name);
        if (!spec) throw new Error(`the ${this.engine} pod has no container ${name} (it has ${this.containerNames.join(", ")})`);
        return spec;
    }

    private startMain(pod: PodState, spec: ContainerSpec): void {
        const state = pod.containers.get(spec.name) ?? { restarts: 0, autoRestart: true };
        pod.containers.set(spec.name, state);
        const child = this.spawnContainer(pod, spec);
        state.child = child;
        child.on("exit", (code, signal) => {
            appendLog(this.eventsLog, `${this.podName(pod.ordinal)}/${spec.name}: exited (${code ?? signal})`);
            if (pod.stopping || !state.autoRestart || state.child !== child) return;
            // restartPolicy Always, with a short back-off.
            setTimeout(() => {
                if (pod.stopping || !state.autoRestart || state.child !== child) return;
                state.restarts++;
                this.startMain(pod, spec);
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

    /** How often a container was restarted after it exited. */
    restarts(n: number, name: string): number {
        return this.pod(n).containers.get(name)?.restarts ?? 0;
    }

    /**
     * Runs the init containers, then the containers; by default waits until Ready.
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
        await this.network.attachPod(n);
        const holder = startProcess(
            "nsenter",
            [`--net=/run/netns/${this.network.podNetns(n)}`, "--", "unshare", "--uts", "--", "sh", "-c", 'hostname "$1" && exec sleep infinity', "sh", this.podName(n)],
            { env: { PATH: PATH_ENV }, stdio: "ignore" },
        );
        await waitFor(`pod ${n} namespaces`, 10000, async () =>
            fs.existsSync(`/proc/${holder.pid}/comm`) && fs.readFileSync(`/proc/${holder.pid}/comm`, "utf8").trim() === "sleep" ? true : undefined,
        50);
        const pod: PodState = { ordinal: n, holder, stopping: false, containers: new Map(), extraEnv: options.env ?? {} };
        this.pods.set(n, pod);
        appendLog(this.eventsLog, `${this.podName(n)}: created`);

        for (const spec of this.spec.initContainers) {
            const child = this.spawnContainer(pod, spec);
            pod.initRunning = child;
            await exited(child);
            pod.initRunning = undefined;
            appendLog(this.eventsLog, `${this.podName(n)}/${spec.name}: exited (${child.exitCode ?? child.signalCode})`);
            if (child.exitCode !== 0) {
                throw new PodInitError(n, spec.name, child.exitCode, child.signalCode, this.logs(n, spec.name));
            }
        }
        for (const spec of this.spec.containers) this.startMain(pod, spec);
        if (options.waitReady !== false) await this.waitReady(n, options.readyTimeoutMs);
    }

    /** Runs argv inside a running container (its namespaces and root), as the mysql user, with its environment. */
    async exec(n: number, container: string, argv: string[], options: { input?: string } = {}): Promise<RunResult> {
        const pid = this.pod(n).containers.get(container)?.child?.pid;
        if (pid === undefined) throw new Error(`pod ${n}: container ${container} is not running`);
        return run(
            "nsenter",
            ["-t", String(pid), "-m", "-n", "-u", "-r", "-w", "--", "setpriv", `--reuid=${this.ids.uid}`, `--regid=${this.ids.gid}`,
                "--clear-groups", "--no-new-privs", "--", ...argv],
            { env: this.env(this.containerSpec(container), this.podName(n)), input: options.input, timeoutMs: 30000 },
        );
    }

    /** True when the server container's readiness probe passes. */
    async isReady(n: number): Promise<boolean> {
        return (await this.readiness(n)).ready;
    }

    /** The server container's readiness probe once: whether it passed, and its reason (what it printed). */
    async readiness(n: number): Promise<{ ready: boolean; reason: string }> {
        const server = this.spec.server;
        const state = this.pods.get(n)?.containers.get(server.name);
        if (!state?.child || state.child.exitCode !== null || state.child.signalCode !== null) return { ready: false, reason: "server container not running" };
        const r = await this.exec(n, server.name, server.readinessCommand!).catch((e: Error) => ({ code: -1, stdout: "", stderr: e.message }));
        return { ready: r.code === 0, reason: r.stderr.trim() };
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
        await this.network.detachPod(n);
        for (const what of ["conf", "run", "tmp"] as const) fs.rmSync(this.podDir(n, what), { recursive: true, force: true });
        this.pods.delete(n);
        appendLog(this.eventsLog, `${this.podName(n)}: deleted`);
    }

    /** Cuts pod n off the network without closing anything (as when its node is lost), or puts it back. */
    async setLink(n: number, up: boolean): Promise<void> {
        this.pod(n);
        await this.network.setLink(n, up);
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
        const child = this.pod(n).containers.get(this.spec.server.name)?.child;
        if (!child?.pid) throw new Error(`pod ${n}: no server running`);
        process.kill(child.pid, signal);
        await exited(child);
    }

    /** Signals every process of a container, as a container kill does; it is restarted. */
    async killContainer(n: number, name: string, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
        const child = this.pod(n).containers.get(name)?.child;
        if (!child) throw new Error(`pod ${n}: container ${name} is not running`);
        signalGroup(child, signal);
        await exited(child);
    }

    /** The processes of a container (its process group), e.g. to find one to kill. */
    containerProcesses(n: number, name: string): { pid: number; command: string }[] {
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

    /** Stops one container and keeps it stopped until startContainer. */
    async stopContainer(n: number, name: string): Promise<void> {
        const state = this.pod(n).containers.get(name);
        if (!state?.child) throw new Error(`pod ${n}: container ${name} is not running`);
        state.autoRestart = false;
        signalGroup(state.child, "SIGTERM");
        await exited(state.child);
    }

    startContainer(n: number, name: string): void {
        const pod = this.pod(n);
        const state = pod.containers.get(name);
        if (state) state.autoRestart = true;
        this.startMain(pod, this.containerSpec(name));
    }

    /** Empties pod n's data volume, as if its PVC were deleted and recreated. */
    deleteVolume(n: number): void {
        if (this.pods.has(n)) throw new Error(`pod ${n} is running: stop it before deleting its volume`);
        fs.rmSync(this.dataDir(n), { recursive: true, force: true });
        this.mkdirOwned(this.dataDir(n));
    }

    /** A long-running host process in pod n's network and UTS namespaces, as the mysql user. */
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
     * with the server container's mounts and environment, on fresh or given volumes.
     * Returns its result and the files it left in conf.d and the data volume.
     */
    async runStandalone(options: {
        hostname: string;
        /** Shell command run as the mysql user, e.g. "bash /mnt/config-map/init-config.sh". */
        command: string;
        dataDir?: string;
        /** Replaces variables of the spec's environment; undefined removes one. */
        env?: Record<string, string | undefined>;
    }): Promise<RunResult & { confFiles: string[]; dataFiles: string[] }> {
        const base = fs.mkdtempSync(path.join(this.workDir, "standalone-"));
        const dirs: VolumeDirs = {
            data: options.dataDir ?? path.join(base, "data"),
            conf: path.join(base, "conf"),
            "config-map": this.configMapDir,
            run: path.join(base, "run"),
            tmp: path.join(base, "tmp"),
        };
        for (const dir of [dirs.data, dirs.conf, dirs.run, dirs.tmp]) this.mkdirOwned(dir);
        const server = this.spec.server;
        const shell = `hostname "$1"\n` + containerShell(this.view(server.mounts, dirs), ["bash", "-c", options.command]);
        const env: NodeJS.ProcessEnv = { ...this.env(server, options.hostname), ...options.env };
        for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
        // --norc: bash would read root's ~/.bashrc when stdin is a socket, as Node's pipes are.
        const result = await run("unshare", ["--uts", "--mount", "--propagation", "private", "--", "bash", "--norc", "--noprofile", "-c", shell, "bash", options.hostname], {
            env,
            timeoutMs: 120000,
        });
        return { ...result, confFiles: fs.readdirSync(dirs.conf).sort(), dataFiles: fs.readdirSync(dirs.data).sort() };
    }

    // ---- SQL ---------------------------------------------------------------------------

    /** The command that runs a client session with pod n (e.g. a long-running write load). */
    clientCommand(n: number, account: Account = this.root, extra: string[] = []): { program: string; args: string[] } {
        return this.client.command(n, account, extra);
    }

    /** Runs SQL (fed on stdin) on pod n over TCP, as an application would; rejects with the server's error. */
    sql(n: number, query: string, account: Account = this.root): Promise<string[][]> {
        return this.client.sql(n, query, account);
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

    /** The primary's executed GTID state (gtid_executed on MySQL, gtid_binlog_pos on MariaDB). */
    async primaryPosition(): Promise<string> {
        // The client prints a multi-line GTID set with escaped newlines.
        return (await this.value(0, this.harness.primaryPositionSql)).replace(/\\n/g, "");
    }

    /** Waits up to `seconds` on pod n for a GTID state; true when reached. */
    async reachedPosition(n: number, position: string, seconds: number): Promise<boolean> {
        return (await this.value(n, this.harness.waitForPositionSql(position, seconds))) === "0";
    }

    /** Waits until replica n has applied every transaction the primary has logged so far. */
    async waitCaughtUp(n: number, timeoutMs = 60000): Promise<void> {
        const position = await this.primaryPosition();
        const seconds = Math.ceil(timeoutMs / 1000);
        if (!(await this.reachedPosition(n, position, seconds))) throw new Error(`pod ${n} did not reach the primary's GTID position ${position} within ${seconds}s`);
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
        this.network.destroySync();
        this.pods.clear();
        if (!this.keepWorkDir) fs.rmSync(this.workDir, { recursive: true, force: true });
    }
}
