/**
 * scripts/local-cluster.sh's commands that need no root and start nothing: the usage, a
 * command given an argument (refused before it runs), and `env`, which must only print (run on a state directory of its own, never the real one).
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");
const SCRIPT = path.join(ROOT, "scripts/local-cluster.sh");

/** Runs the script with `args`; its state and tool caches in `dir`, this Node first on PATH. */
function localCluster(dir: string, ...args: string[]) {
    return localClusterWith({}, dir, ...args);
}

/** The same, with `extra` added to the environment. */
function localClusterWith(extra: Record<string, string>, dir: string, ...args: string[]) {
    const r = spawnSync("bash", [SCRIPT, ...args], {
        encoding: "utf8",
        env: {
            ...process.env,
            ...extra,
            PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`,
            // setup-node.sh --check then accepts the Node running this test.
            NODE_VERSION: process.versions.node,
            REPLICATED_MYSQL_LOCAL_DIR: path.join(dir, "local"),
            REPLICATED_MYSQL_CACHE: path.join(dir, "cache"),
        },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every path under `dir` with its size and mode: what a command created or changed. */
function tree(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return (fs.readdirSync(dir, { recursive: true }) as string[])
        .sort()
        .map((entry) => {
            const stat = fs.statSync(path.join(dir, entry));
            return `${entry} ${stat.size} ${stat.mode.toString(8)}`;
        });
}

describe("scripts/local-cluster.sh without a cluster", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "replicated-mysql-lc-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("lists every command with what it does, on a bad or missing command and on help", () => {
        const none = localCluster(dir);
        const unknown = localCluster(dir, "start");
        const help = localCluster(dir, "help");
        assert.strictEqual(none.status, 2);
        assert.strictEqual(unknown.status, 2);
        assert.strictEqual(help.status, 0);
        assert.match(unknown.stderr, /^local-cluster: unknown command 'start'$/m);
        assert.strictEqual(none.stderr, help.stdout);
        for (const command of ["up", "down", "packages", "status", "env", "help"]) {
            assert.match(help.stdout, new RegExp(`^  ${command} +\\S.{20,}$`, "m"), `${command} is described`);
        }
        assert.match(help.stdout, new RegExp(`^State: ${path.join(dir, "local")} `, "m"));
    });

    it("refuses an argument after any command, doing nothing (down --dry-run keeps the cluster's state)", () => {
        const local = path.join(dir, "local");
        fs.mkdirSync(path.join(local, "backend"), { recursive: true });
        fs.writeFileSync(path.join(local, "passphrase"), "0123abcd\n", { mode: 0o600 });
        const before = tree(dir);
        for (const args of [["down", "--dry-run"], ["up", "now"], ["status", "-v"], ["help", "up"]]) {
            const r = localCluster(dir, ...args);
            assert.strictEqual(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
            assert.match(r.stderr, new RegExp(`^local-cluster: unexpected argument\\(s\\) after '${args[0]}': ${args[1]} \\(no command takes any\\); nothing was done$`, "m"));
            assert.match(r.stderr, /^usage: /m, "the usage follows");
            assert.deepStrictEqual(tree(dir), before, `${args.join(" ")} changed nothing`);
        }
    });

    it("up refuses an engine it does not know before anything is built, started or created", () => {
        const r = localClusterWith({ REPLICATED_MYSQL_ENGINE: "postgres" }, dir, "up");
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /REPLICATED_MYSQL_ENGINE is 'postgres'; allowed: mysql or mariadb .*Nothing was started\./);
        assert.deepStrictEqual(tree(dir), []);
    });

    it("env without a cluster's state fails, naming what is missing, and creates nothing", () => {
        const r = localCluster(dir, "env");
        assert.strictEqual(r.status, 1);
        assert.strictEqual(r.stdout, "");
        assert.match(
            r.stderr,
            new RegExp(
                `nothing to print: no local cluster's state in ${path.join(dir, "local")} ` +
                    "\\(no kubeconfig, passphrase, backend\\); start one with 'npm run local:up'",
            ),
        );
        assert.deepStrictEqual(fs.readdirSync(dir), [], "no state directory, no tool cache");
    });

    it("env without the Pulumi passphrase fails, and makes no new one (it could not decrypt the stack)", () => {
        const local = path.join(dir, "local");
        fs.mkdirSync(path.join(local, "backend"), { recursive: true });
        fs.writeFileSync(path.join(local, "kubeconfig"), "apiVersion: v1\nkind: Config\n");
        const before = tree(local);
        const r = localCluster(dir, "env");
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /\(no passphrase\)/);
        assert.deepStrictEqual(tree(local), before);
    });

    it("env on a cluster's state prints its variables and changes nothing", () => {
        const local = path.join(dir, "local");
        fs.mkdirSync(path.join(local, "backend"), { recursive: true });
        fs.writeFileSync(path.join(local, "kubeconfig"), "apiVersion: v1\nkind: Config\n");
        fs.writeFileSync(path.join(local, "passphrase"), "0123abcd\n", { mode: 0o600 });
        const before = tree(dir);
        const r = localCluster(dir, "env");
        assert.strictEqual(r.status, 0, r.stderr);
        const exported = Object.fromEntries(
            r.stdout
                .trim()
                .split("\n")
                .map((line) => {
                    const m = /^export ([A-Z_]+)=(.*)$/.exec(line);
                    assert.ok(m, `an export line: ${line}`);
                    return [m[1], m[2]];
                }),
        );
        assert.strictEqual(exported.KUBECONFIG, path.join(local, "kubeconfig"));
        assert.strictEqual(exported.PULUMI_BACKEND_URL, `file://${path.join(local, "backend")}`);
        assert.strictEqual(exported.PULUMI_HOME, path.join(local, "pulumi-home"));
        assert.strictEqual(exported.PULUMI_CONFIG_PASSPHRASE, "0123abcd");
        assert.ok(exported.PATH.split(":").includes(path.dirname(process.execPath)), "Node is on PATH");
        assert.deepStrictEqual(tree(dir), before, "no directory, passphrase or tool cache made");
    });
});
