/**
 * The test's SQL client: the engine's own command-line client, run from the image's root
 * filesystem in the client network namespace (for MySQL 9.7 that is the tree's `mysql`,
 * which speaks caching_sha2_password), connecting over TCP as an application would.
 * Credentials go in option files (0600, owned by the user the client runs as), never on a
 * command line.
 */
import * as fs from "fs";
import * as path from "path";
import { containerShell, ContainerView } from "./container";
import { EngineHarness } from "./engines";
import { run } from "./process";

/** Credentials of a database account. */
export interface Account {
    user: string;
    password: string;
}

export class SqlClient {
    constructor(
        private readonly engine: EngineHarness,
        private readonly dirs: { credentialsDir: string; layerDir: string },
        private readonly clientNetns: string,
        private readonly ids: { uid: number; gid: number },
        private readonly addressOf: (n: number) => string,
    ) {}

    /**
     * Written to a temporary file and renamed: a client started by an earlier call may be
     * reading the file right now, and must never see it empty ("using password: NO").
     */
    private optionFile(account: Account): string {
        const name = `${Buffer.from(account.user).toString("hex")}.cnf`;
        const file = path.join(this.dirs.credentialsDir, name);
        const value = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
        fs.writeFileSync(`${file}.tmp`, `[client]\nuser="${value(account.user)}"\npassword="${value(account.password)}"\n`, { mode: 0o600 });
        fs.chownSync(`${file}.tmp`, this.ids.uid, this.ids.gid);
        fs.renameSync(`${file}.tmp`, file);
        return `/mnt/credentials/${name}`;
    }

    /** The command (program and arguments) that runs a client session with pod n. */
    command(n: number, account: Account, extra: string[] = []): { program: string; args: string[] } {
        const view: ContainerView = {
            rootfs: this.engine.rootfs(),
            layerDir: this.dirs.layerDir,
            imageFiles: [],
            mounts: [{ source: this.dirs.credentialsDir, target: "/mnt/credentials", readOnly: true }],
            ...this.ids,
        };
        const argv = [this.engine.client, `--defaults-extra-file=${this.optionFile(account)}`, "--protocol=TCP",
            `--host=${this.addressOf(n)}`, "--port=3306", "--connect-timeout=5", "--batch", "--skip-column-names", ...extra];
        return {
            program: "nsenter",
            args: [`--net=/run/netns/${this.clientNetns}`, "--", "unshare", "--mount", "--propagation", "private", "--",
                "bash", "--norc", "--noprofile", "-c", containerShell(view, argv)],
        };
    }

    /** Runs SQL (fed on stdin) on pod n over TCP; rejects with the server's error. */
    async sql(n: number, query: string, account: Account): Promise<string[][]> {
        const { program, args } = this.command(n, account);
        const r = await run(program, args, { input: query, timeoutMs: 120000, env: { PATH: process.env.PATH } });
        if (r.code !== 0) throw new Error(`SQL on pod ${n} as ${account.user} failed: ${r.stderr.trim()}`);
        return r.stdout.split("\n").filter((line) => line !== "").map((line) => line.split("\t"));
    }
}
