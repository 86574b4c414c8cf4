/**
 * The MariaDB backup stream between pods (engine-mariadb.sh: choose_transfer_tool,
 * serve_stream, receive_stream_into; MySQL clones with its CLONE plugin and has none),
 * with each tool an image may ship: ncat (the tutorial's) and socat (the official mariadb
 * image's). Real listeners on loopback, real transfers (3 MiB: more than socat's 1 MiB
 * buffer); the data-plane suite then runs the whole clone with socat, which the scripts
 * prefer, against MariaDB.
 */
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

const LIB = path.resolve(__dirname, "../../components/mysql/scripts/lib.sh");

// What lib.sh and the engine file need, in every image.
const BASE_TOOLS = ["bash", "dirname", "basename", "date", "cat"];

/** A PATH holding only the base commands and the named ones (symlinks to the machine's). */
function pathWith(dir: string, tools: string[]): string {
    fs.mkdirSync(dir, { recursive: true });
    for (const tool of [...BASE_TOOLS, ...tools]) {
        const found = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
        assert.ok(found, `${tool} is installed (bash scripts/setup-dataplane.sh installs ncat and socat)`);
        fs.symlinkSync(found, path.join(dir, tool));
    }
    return dir;
}

function libBash(snippet: string, env: NodeJS.ProcessEnv) {
    return ["-c", `set -euo pipefail; MYSQL_ENGINE=mariadb; source ${JSON.stringify(LIB)}; load_engine; ${snippet}`, env] as const;
}

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
        server.on("error", reject);
    });
}

async function waitForListener(port: number): Promise<void> {
    for (let i = 0; i < 100; i++) {
        const open = await new Promise<boolean>((resolve) => {
            const socket = net.connect(port, "127.0.0.1");
            socket.once("connect", () => {
                socket.destroy();
                resolve(true);
            });
            socket.once("error", () => resolve(false));
        });
        if (open) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`nothing listens on ${port}`);
}

describe("pod scripts: streaming between peers", function () {
    let work: string;
    const servers: ChildProcess[] = [];

    beforeEach(() => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "transfer-test-"));
    });
    afterEach(() => {
        for (const server of servers.splice(0)) {
            if (server.exitCode === null && server.pid) process.kill(server.pid, "SIGKILL");
        }
        fs.rmSync(work, { recursive: true, force: true });
    });

    /** A receiving command, like the clone's extractor: copies its stdin to `out` and notes what stdin is. */
    function sink(): { script: string; out: string; stdinKind: string } {
        const script = path.join(work, "sink.sh");
        const out = path.join(work, "received");
        const stdinKind = path.join(work, "stdin-kind");
        fs.writeFileSync(script, `readlink /proc/$$/fd/0 > ${JSON.stringify(stdinKind)}\ncat > "$1"\n`);
        return { script, out, stdinKind };
    }

    for (const tool of ["ncat", "socat"]) {
        it(`serves and receives a backup stream byte for byte with only ${tool} in the image`, async function () {
            const bin = pathWith(path.join(work, "bin"), [tool, "readlink"]);
            const payload = path.join(work, "payload");
            fs.writeFileSync(payload, crypto.randomBytes(3 * 1024 * 1024));
            // The per-connection command, like `serve-backups.sh stream`.
            const producer = path.join(work, "producer.sh");
            fs.writeFileSync(producer, `cat ${JSON.stringify(payload)}\n`);
            const port = await freePort();
            const env = { PATH: bin };

            const [flag, script] = libBash(`choose_transfer_tool; serve_stream ${port} ${JSON.stringify(producer)}`, env);
            const server = spawn("bash", [flag, script], { env, stdio: "ignore" });
            servers.push(server);
            await waitForListener(port);

            // Two clones one after the other: the listener keeps serving.
            const { script: receiver, out, stdinKind } = sink();
            for (let clone = 0; clone < 2; clone++) {
                fs.rmSync(out, { force: true });
                const [f, s] = libBash(`choose_transfer_tool; receive_stream_into 127.0.0.1 ${port} bash ${receiver} ${out}`, env);
                const received = spawnSync("bash", [f, s], { env, encoding: "utf8" });
                assert.strictEqual(received.status, 0, received.stderr);
                assert.ok(fs.readFileSync(out).equals(fs.readFileSync(payload)), `clone ${clone} received every byte`);
            }
            // With socat the extractor reads the socket itself: no relay process copies the
            // stream again (the bench measures what that saves). ncat pipes into it.
            assert.match(fs.readFileSync(stdinKind, "utf8"), tool === "socat" ? /^socket:\[/ : /^pipe:\[/);
        });

        it(`fails when the receiving command fails, though the transfer went well (${tool})`, async function () {
            const bin = pathWith(path.join(work, "bin"), [tool]);
            const producer = path.join(work, "producer.sh");
            fs.writeFileSync(producer, "printf 'some bytes'\n");
            const failing = path.join(work, "failing.sh");
            fs.writeFileSync(failing, "cat >/dev/null\nexit 3\n");
            const port = await freePort();
            const env = { PATH: bin };
            const [flag, script] = libBash(`choose_transfer_tool; serve_stream ${port} ${JSON.stringify(producer)}`, env);
            servers.push(spawn("bash", [flag, script], { env, stdio: "ignore" }));
            await waitForListener(port);
            const [f, s] = libBash(`choose_transfer_tool; receive_stream_into 127.0.0.1 ${port} bash ${failing}`, env);
            const received = spawnSync("bash", [f, s], { env, timeout: 30000 });
            assert.notStrictEqual(received.status, 0);
            assert.strictEqual(received.signal, null, "it ended by itself");
        });

        it(`ends a stream its donor leaves idle, rather than hanging (${tool}; idle limit shortened to 2 s)`, async function () {
            const bin = pathWith(path.join(work, "bin"), [tool, "readlink", "sleep"]);
            const producer = path.join(work, "producer.sh");
            // Like a backup stuck behind a lock: some bytes, then nothing for 30 s.
            const producerPid = path.join(work, "producer.pid");
            fs.writeFileSync(producer, `printf %s $$ > ${JSON.stringify(producerPid)}\nprintf partial\nexec sleep 30\n`);
            const port = await freePort();
            const env = { PATH: bin, STREAM_IDLE_TIMEOUT_SECONDS: "2" };
            const [flag, script] = libBash(`choose_transfer_tool; serve_stream ${port} ${JSON.stringify(producer)}`, env);
            servers.push(spawn("bash", [flag, script], { env, stdio: "ignore" }));
            await waitForListener(port);
            const { script: receiver, out } = sink();
            const started = Date.now();
            const [f, s] = libBash(`choose_transfer_tool; receive_stream_into 127.0.0.1 ${port} bash ${receiver} ${out}`, env);
            const received = spawnSync("bash", [f, s], { env, timeout: 20000 });
            const elapsed = Date.now() - started;
            try {
                process.kill(Number(fs.readFileSync(producerPid, "utf8")), "SIGKILL");
            } catch {
                // Already ended with its stream.
            }
            assert.strictEqual(received.signal, null, `still receiving after ${elapsed} ms: the idle stream was not cut`);
            assert.strictEqual(fs.readFileSync(out, "utf8"), "partial");
            // Cut by the idle limit, not because the producer ended (it sleeps 30 s).
            assert.ok(elapsed >= 1500, `the stream ended after ${elapsed} ms, before the 2 s idle limit could act`);
        });

        it(`fails, rather than hangs, when no peer listens (${tool})`, async function () {
            const bin = pathWith(path.join(work, "bin"), [tool, "readlink"]);
            const port = await freePort();
            const { script: receiver, out } = sink();
            const [f, s] = libBash(`choose_transfer_tool; receive_stream_into 127.0.0.1 ${port} bash ${receiver} ${out}`, { PATH: bin });
            const received = spawnSync("bash", [f, s], { env: { PATH: bin }, timeout: 30000 });
            assert.notStrictEqual(received.status, 0);
            assert.strictEqual(received.signal, null, "it ended by itself");
        });
    }

    it("refuses, by name, a receiving argument that socat's EXEC would split or misread", function () {
        const bin = pathWith(path.join(work, "bin"), ["socat"]);
        const [f, s] = libBash("choose_transfer_tool; receive_stream_into 127.0.0.1 9 mbstream -x -C /data/a,b", { PATH: bin });
        const result = spawnSync("bash", [f, s], { env: { PATH: bin }, encoding: "utf8", timeout: 30000 });
        assert.strictEqual(result.status, 1);
        assert.match(result.stderr, /ERROR: receive_stream_into: argument '\/data\/a,b' holds characters socat's EXEC cannot pass$/m);
    });

    const badLimits = [
        { what: "a malformed idle limit", name: "STREAM_IDLE_TIMEOUT_SECONDS", value: "10m", allowed: "1 to 999999" },
        { what: "a dead-peer limit too short for its keepalive probes", name: "STREAM_DEAD_PEER_TIMEOUT_SECONDS", value: "5", allowed: "12 to 999999" },
    ];
    for (const bad of badLimits) {
        it(`names ${bad.what} before it streams anything`, function () {
            const bin = pathWith(path.join(work, "bin"), ["socat"]);
            const env = { PATH: bin, [bad.name]: bad.value };
            const [f, s] = libBash("choose_transfer_tool", env);
            const result = spawnSync("bash", [f, s], { env, encoding: "utf8" });
            assert.strictEqual(result.status, 1);
            assert.ok(
                result.stderr.trimEnd().endsWith(`ERROR: ${bad.name} must be a whole number of seconds from ${bad.allowed}, not '${bad.value}'`),
                result.stderr,
            );
        });
    }

    it("prefers socat (1 MiB buffers, faster than ncat) when both are there", function () {
        const bin = pathWith(path.join(work, "bin"), ["ncat", "socat"]);
        const [f, s] = libBash("choose_transfer_tool; printf %s \"$TRANSFER_TOOL\"", { PATH: bin });
        assert.strictEqual(spawnSync("bash", [f, s], { env: { PATH: bin }, encoding: "utf8" }).stdout, "socat");
    });

    it("names both tools when the image has neither", function () {
        const bin = pathWith(path.join(work, "bin"), []);
        const [f, s] = libBash("choose_transfer_tool", { PATH: bin });
        const result = spawnSync("bash", [f, s], { env: { PATH: bin }, encoding: "utf8" });
        assert.strictEqual(result.status, 1);
        assert.match(
            result.stderr,
            /ERROR: missing tool\(s\) in this image: ncat or socat \(one is needed to stream backups between pods\)$/m,
        );
    });
});
