/**
 * A bounded write load on one pod, from the client namespace: one client session inserts
 * rows `first..first+count-1` into `table` (autocommit) and prints each id after its
 * INSERT returned, so `acknowledged` holds exactly the ids whose commit the server
 * acknowledged. The session stops at the first error (e.g. the server was killed), after
 * `count` rows, or on stop().
 */
import { ChildProcess } from "child_process";
import { Cluster } from "./cluster";
import { exited, signalGroup, startProcess } from "./process";

export class WriteLoad {
    readonly acknowledged: number[] = [];
    stderr = "";
    private child?: ChildProcess;

    constructor(
        private readonly cluster: Cluster,
        private readonly pod: number,
        private readonly table: string,
        private readonly first: number,
        private readonly count: number,
    ) {}

    start(): this {
        const { program, args } = this.cluster.clientCommand(this.pod, this.cluster.root, ["--unbuffered"]);
        const child = startProcess(program, args, {
            env: { PATH: process.env.PATH },
            stdio: ["pipe", "pipe", "pipe"],
        });
        this.child = child;
        let pending = "";
        child.stdout!.on("data", (data: Buffer) => {
            pending += data.toString();
            const lines = pending.split("\n");
            pending = lines.pop() ?? "";
            for (const line of lines) if (/^\d+$/.test(line)) this.acknowledged.push(Number(line));
        });
        child.stderr!.on("data", (data: Buffer) => (this.stderr += data.toString()));
        child.stdin!.on("error", () => undefined);
        const statements: string[] = [];
        for (let id = this.first; id < this.first + this.count; id++) {
            statements.push(`INSERT INTO ${this.table} (id, payload) VALUES (${id}, SHA2('${id}', 256)); SELECT ${id};`);
        }
        child.stdin!.end(statements.join("\n") + "\n");
        return this;
    }

    /** Resolves when the session has ended (all rows written, an error, or stop()). */
    async finished(): Promise<void> {
        if (this.child) await exited(this.child);
    }

    /** Resolves once at least `n` rows were acknowledged; rejects if the session ends first. */
    async acknowledgedAtLeast(n: number): Promise<void> {
        while (this.acknowledged.length < n) {
            if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) {
                throw new Error(`write load ended after ${this.acknowledged.length} rows: ${this.stderr}`);
            }
            await new Promise((resolve) => setTimeout(resolve, 20));
        }
    }

    async stop(): Promise<void> {
        if (!this.child) return;
        signalGroup(this.child, "SIGTERM");
        await exited(this.child);
    }
}
