/**
 * mysqld_exporter, the version the component's metrics image pins, built from its Go module
 * by `scripts/toolchain.sh --only mysqld-exporter` (the data-plane setup does it), run on
 * the host against a data-plane pod's server socket, as the component's `metrics` account,
 * and scraped over loopback. Shared by the data-plane scrape test and the dashboard plot
 * (test/monitoring/plot.ts).
 */
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { ChildProcess, execFileSync } from "child_process";
import { Cluster } from "../dataplane/harness/cluster";
import { exited, signalGroup, startProcess, waitFor } from "../dataplane/harness/process";

const REPO = path.join(__dirname, "..", "..");

/** The exporter binary; built (about a minute) when the cache has none. */
function exporterBinary(): string {
    const dir = execFileSync("bash", [path.join(REPO, "scripts", "toolchain.sh"), "--only", "mysqld-exporter"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
    }).trim();
    return path.join(dir, "mysqld_exporter");
}

/** A loopback port nobody listens on now. */
async function freePort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
}

/** GET `url`; rejects on anything but 200. */
export function get(url: string): Promise<string> {
    return new Promise((resolve, reject) => {
        http.get(url, (res) => {
            let body = "";
            res.on("data", (chunk) => (body += chunk));
            res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}`))));
        }).on("error", reject);
    });
}

/** Samples of the exposition text, by series name (labels dropped: one target per exporter). */
export function samples(text: string): Map<string, number[]> {
    const found = new Map<string, number[]>();
    for (const line of text.split("\n")) {
        const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
        if (!match) continue;
        found.set(match[1], [...(found.get(match[1]) ?? []), Number(match[3])]);
    }
    return found;
}

/** One exporter per pod of a cluster; `stop()` ends exactly the processes it started. */
export class Exporters {
    private readonly children: ChildProcess[] = [];
    private binary: string | undefined;

    constructor(private readonly cluster: Cluster) {}

    /** Starts an exporter for pod n and returns its /metrics URL once it answers. */
    async start(n: number): Promise<string> {
        const { cluster } = this;
        const cnf = path.join(cluster.workDir, "credentials", `exporter-${n}.cnf`);
        // The socket of pod n as the harness lays it out (its /run/mysqld, bind-mounted).
        const socket = path.join(cluster.workDir, "pods", cluster.podName(n), "run", "mysqld.sock");
        fs.writeFileSync(cnf, `[client]\nuser=${cluster.metrics.user}\npassword=${cluster.metrics.password}\nsocket=${socket}\n`, { mode: 0o600 });
        const port = await freePort();
        const log = fs.openSync(path.join(cluster.workDir, "logs", `exporter-${n}.log`), "a");
        this.children.push(
            startProcess((this.binary ??= exporterBinary()), [`--config.my-cnf=${cnf}`, `--web.listen-address=127.0.0.1:${port}`], {
                env: { PATH: process.env.PATH },
                stdio: ["ignore", log, log],
            }),
        );
        fs.closeSync(log);
        const url = `http://127.0.0.1:${port}/metrics`;
        await waitFor(`exporter of pod ${n} to answer`, 30000, () => get(url).catch(() => undefined), 200);
        return url;
    }

    async stop(): Promise<void> {
        for (const child of this.children) {
            signalGroup(child, "SIGTERM");
            await exited(child);
        }
        this.children.length = 0;
    }
}
