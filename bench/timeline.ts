/**
 * Phase timestamps of pods: from the harness's events log (pod created, each container
 * started/exited, millisecond timestamps), from /proc (the moment the `mysql` container's
 * process becomes mariadbd, i.e. the script execs the final server; sampled every 10 ms),
 * and from connects to the server's socket (the moment it listens; every 10 ms). Ready is
 * measured by the caller with the pod's own readiness probe.
 */
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { Cluster } from "../test/dataplane/harness/cluster";

export const SAMPLE_MS = 10;

export interface PodPhases {
    created?: number;
    containerStart: Map<string, number>;
    containerExit: Map<string, number>;
    containerPid: Map<string, number>;
}

const EVENT = /^(\S+) ([a-z0-9-]+?)-(\d+)(?:\/([a-z-]+))?: (created|started pid (\d+)|exited .*|Ready|deleted)$/;

/** The latest occurrence of each event per pod, in epoch milliseconds. */
export function phaseTimes(cluster: Cluster): Map<number, PodPhases> {
    const file = path.join(cluster.workDir, "logs", "events.log");
    const pods = new Map<number, PodPhases>();
    const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    for (const line of text.split("\n")) {
        const m = EVENT.exec(line);
        if (!m || m[2] !== cluster.name) continue;
        const at = Date.parse(m[1]);
        const n = Number(m[3]);
        const pod = pods.get(n) ?? { containerStart: new Map(), containerExit: new Map(), containerPid: new Map() };
        pods.set(n, pod);
        const container = m[4];
        if (m[5] === "created") {
            // A new incarnation of the pod: forget the previous one's containers.
            pods.set(n, { created: at, containerStart: new Map(), containerExit: new Map(), containerPid: new Map() });
        } else if (container && m[6]) {
            pod.containerStart.set(container, at);
            pod.containerPid.set(container, Number(m[6]));
            pod.containerExit.delete(container);
        } else if (container && m[5].startsWith("exited")) {
            pod.containerExit.set(container, at);
        }
    }
    return pods;
}

/**
 * Samples, while running, when each pod's final server was exec'd and when it listened: a
 * connect to the pod's server socket (by its host path) succeeds once mariadbd has bound and
 * listens, which it does for the socket and TCP port together. Pod 0's bootstrap server
 * during initialisation uses another socket name, so it does not count.
 */
export class ServerStartSampler {
    readonly execAt = new Map<number, number>();
    readonly listeningAt = new Map<number, number>();
    private timer?: NodeJS.Timeout;
    private readonly connecting = new Set<number>();

    constructor(private readonly cluster: Cluster, private readonly pods: number[]) {}

    start(): void {
        this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    }

    private sample(): void {
        for (const [n, phases] of phaseTimes(this.cluster)) {
            const pid = phases.containerPid.get("mysql");
            if (pid === undefined || this.execAt.has(n)) continue;
            try {
                if (fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "mariadbd") this.execAt.set(n, Date.now());
            } catch {
                // Not started yet or already gone.
            }
        }
        for (const n of this.pods) {
            if (this.listeningAt.has(n) || this.connecting.has(n)) continue;
            const socket = path.join(this.cluster.workDir, "pods", this.cluster.podName(n), "run", "mysqld.sock");
            if (!fs.existsSync(socket)) continue;
            this.connecting.add(n);
            const connection = net.connect({ path: socket });
            connection.on("connect", () => {
                if (!this.listeningAt.has(n)) this.listeningAt.set(n, Date.now());
                connection.destroy();
            });
            connection.on("error", () => undefined);
            connection.on("close", () => this.connecting.delete(n));
        }
    }

    stop(): void {
        if (this.timer) clearInterval(this.timer);
    }
}
