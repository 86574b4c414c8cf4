/**
 * Child processes of a data-plane run: every process the harness starts is registered
 * here by PID (its own process group), so that cleanup ends exactly those, also when a
 * test fails or the run is interrupted.
 */
import { ChildProcess, spawn, SpawnOptions } from "child_process";
import * as fs from "fs";

export interface RunResult {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

const live = new Set<ChildProcess>();

/** Starts a process in its own process group and registers it for cleanup. */
export function startProcess(command: string, args: string[], options: SpawnOptions): ChildProcess {
    const child = spawn(command, args, { ...options, detached: true });
    live.add(child);
    child.on("exit", () => live.delete(child));
    child.on("error", () => live.delete(child));
    return child;
}

/** Sends `signal` to the process group of `child` (the process and what it started). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
        process.kill(-child.pid, signal);
    } catch {
        // Already gone.
    }
}

/** Resolves when `child` has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Runs a command to completion, feeding `input` on stdin; never rejects on a non-zero exit. */
export function run(
    command: string,
    args: string[],
    options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = startProcess(command, args, {
            env: options.env ?? process.env,
            stdio: ["pipe", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout!.on("data", (d) => (stdout += d));
        child.stderr!.on("data", (d) => (stderr += d));
        const timer = options.timeoutMs
            ? setTimeout(() => signalGroup(child, "SIGKILL"), options.timeoutMs)
            : undefined;
        child.on("error", reject);
        child.on("close", (code, signal) => {
            if (timer) clearTimeout(timer);
            resolve({ code, signal, stdout, stderr });
        });
        child.stdin!.on("error", () => undefined);
        child.stdin!.end(options.input ?? "");
    });
}

/** Runs a command and rejects with its output when it fails. */
export async function runOk(command: string, args: string[], options: { input?: string } = {}): Promise<string> {
    const r = await run(command, args, options);
    if (r.code !== 0) {
        throw new Error(`${command} ${args.join(" ")} failed (${r.code ?? r.signal}): ${r.stderr.trim()}`);
    }
    return r.stdout;
}

/** Kills every registered process group that is still alive (synchronous: safe in exit handlers). */
export function killAllStarted(): void {
    for (const child of live) signalGroup(child, "SIGKILL");
}

/** Appends a line to a log file (container logs, harness events). */
export function appendLog(file: string, line: string): void {
    fs.appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
}

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, intervalMs = 300): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await check();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(intervalMs);
    }
}
