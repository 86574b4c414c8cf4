/**
 * Processes the bench starts beside the harness's pods: shell snippets inside a pod's
 * container (its namespaces) or in the client's network namespace, as the `mysql` OS user,
 * registered with the harness's process registry so that its cleanup ends them too (also on
 * failure or Ctrl-C).
 */
import { ChildProcess, execFileSync } from "child_process";
import { Cluster } from "../test/dataplane/harness/cluster";
import * as fs from "fs";
import { exited, run, RunResult, startProcess } from "../test/dataplane/harness/process";
import { phaseTimes } from "./timeline";

const PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface MysqlIds {
    uid: number;
    gid: number;
}

export function mysqlIds(): MysqlIds {
    return {
        uid: Number(execFileSync("id", ["-u", "mysql"]).toString().trim()),
        gid: Number(execFileSync("id", ["-g", "mysql"]).toString().trim()),
    };
}

/** nsenter's argument that enters the client namespace (the one `Cluster.sql` runs in). */
export function clientNetns(cluster: Cluster): string {
    return `--net=/run/netns/${cluster.clientNetns}`;
}

/**
 * Where a bench process runs: the client namespace (host filesystem), or all namespaces of a
 * running container of a pod (network, UTS and its mount namespace: the pod's own paths).
 */
export type Place = { client: true } | { pod: number; container: string };

function setprivArgs(ids: MysqlIds, script: string): string[] {
    return ["setpriv", `--reuid=${ids.uid}`, `--regid=${ids.gid}`, "--clear-groups", "--", "bash", "-c", `set -euo pipefail\n${script}`];
}

/** Starts a bash script as mysql in a namespace; output goes to the given file descriptors. */
export function spawnScript(
    cluster: Cluster,
    ids: MysqlIds,
    place: Place,
    script: string,
    stdio: ["ignore" | "pipe", "pipe" | number, "pipe" | number],
): ChildProcess {
    const enter = "client" in place ? [clientNetns(cluster)] : ["-t", String(containerPid(cluster, place.pod, place.container)), "-m", "-n", "-u"];
    return startProcess("nsenter", [...enter, "--", ...setprivArgs(ids, script)], { env: { PATH: PATH_ENV }, stdio });
}

/** Runs a bash script as mysql in a namespace to completion; returns its stdout, rejects on failure. */
export async function runScript(cluster: Cluster, ids: MysqlIds, place: Place, script: string): Promise<string> {
    const child = spawnScript(cluster, ids, place, script, ["ignore", "pipe", "pipe"]);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => (stdout += d));
    child.stderr?.on("data", (d) => (stderr += d));
    await exited(child);
    if (child.exitCode !== 0) {
        throw new Error(`bench script failed (${child.exitCode ?? child.signalCode}): ${stderr.trim().split("\n").slice(-10).join("\n")}`);
    }
    return stdout;
}

/** Runs a command on the host and rejects with its stderr on failure. */
export async function hostOk(command: string, args: string[], timeoutMs = 1800000): Promise<RunResult> {
    const r = await run(command, args, { timeoutMs });
    if (r.code !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.code ?? r.signal}): ${r.stderr.trim()}`);
    return r;
}

/** Waits for a child started with spawnScript and rejects when it did not exit 0. */
export async function finished(child: ChildProcess, what: string): Promise<void> {
    await exited(child);
    if (child.exitCode !== 0) throw new Error(`${what} failed (${child.exitCode ?? child.signalCode})`);
}

/** The PID of a running container of pod n, from the harness's events (it stays in the container's namespaces). */
function containerPid(cluster: Cluster, n: number, container: string): number {
    const pid = phaseTimes(cluster).get(n)?.containerPid.get(container);
    if (pid === undefined || !fs.existsSync(`/proc/${pid}`)) throw new Error(`pod ${n}: container ${container} is not running`);
    return pid;
}
