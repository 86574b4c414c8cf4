/**
 * Phase timestamps of pods, from the harness's events log: pod created, each container
 * started/exited (millisecond timestamps), the latest incarnation of each pod.
 */
import * as fs from "fs";
import * as path from "path";
import { Cluster } from "../test/dataplane/harness/cluster";

export interface PodPhases {
    created?: number;
    containerStart: Map<string, number>;
    containerExit: Map<string, number>;
}

const EVENT = /^(\S+) ([a-z0-9-]+?)-(\d+)(?:\/([a-z-]+))?: (created|started pid \d+|exited .*|Ready|deleted)$/;

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
        const container = m[4];
        if (m[5] === "created") {
            // A new incarnation of the pod: forget the previous one's containers.
            pods.set(n, { created: at, containerStart: new Map(), containerExit: new Map() });
            continue;
        }
        const pod = pods.get(n) ?? { containerStart: new Map(), containerExit: new Map() };
        pods.set(n, pod);
        if (container && m[5].startsWith("started")) {
            pod.containerStart.set(container, at);
            pod.containerExit.delete(container);
        } else if (container && m[5].startsWith("exited")) {
            pod.containerExit.set(container, at);
        }
    }
    return pods;
}
