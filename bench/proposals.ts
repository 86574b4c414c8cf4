/**
 * Proposed changes to the pod scripts, measured without editing them: the bench rewrites
 * its own cluster's ConfigMap directory (what `kubectl edit configmap` and a pod restart
 * would do), runs the real scripts, and restores it. Each patch must match the scripts
 * exactly once, so a proposal that no longer applies fails instead of measuring nothing.
 * The proposal is reported as a unified diff against components/mysql/.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Cluster } from "../test/dataplane/harness/cluster";

export interface ScriptPatch {
    /** File name in the ConfigMap (components/mysql/scripts/ or conf/mariadb/). */
    file: string;
    from: string;
    to: string;
}

export interface Proposal {
    name: string;
    why: string;
    patches: ScriptPatch[];
}

/** Replica pods wait for their server in 0.1 s steps instead of 1 s; so does pod 0's bootstrap. */
export const FASTER_POLLING: Proposal = {
    name: "poll-100ms",
    why: "the clone-server sidecar polls the local server once a second before it sets up replication, and pod 0's bootstrap polls its private server once a second: up to a second of pure waiting per pod",
    patches: [
        {
            file: "lib.sh",
            from: `    ((SECONDS - start < timeout)) || die "local server did not answer on $SOCKET within \${timeout}s"\n    sleep 1\n`,
            to: `    ((SECONDS - start < timeout)) || die "local server did not answer on $SOCKET within \${timeout}s"\n    sleep 0.1\n`,
        },
        {
            file: "engine-mariadb.sh",
            from: `    ((SECONDS - start < 120)) || die "bootstrap server did not answer within 120s"\n    sleep 1\n`,
            to: `    ((SECONDS - start < 120)) || die "bootstrap server did not answer within 120s"\n    sleep 0.1\n`,
        },
    ],
};

/**
 * Prefer socat, with 1 MiB buffers, over ncat for streaming backups between pods; read the
 * table files with 4 threads and write them with 2 (the best transfer variant).
 */
export const CLONE_PROPOSAL: Proposal = {
    name: "socat-1m-parallel",
    why:
        "ncat (and socat with its default 8 KiB buffer) relays the stream in small chunks, and each relay process competes with mariabackup and mbstream for 2 cores; " +
        "socat with a 1 MiB buffer moves the same bytes with far fewer system calls, and mariabackup --parallel / mbstream --parallel overlap reading and writing the table files " +
        "(variants today, socat-1m, socat-1m-parallel4-x2)",
    patches: [
        {
            file: "lib.sh",
            from: "  for tool in ncat socat; do\n",
            to: "  # socat first: with 1 MiB buffers it streams faster than ncat (docs/benchmarks.md).\n  for tool in socat ncat; do\n",
        },
        {
            file: "lib.sh",
            from: `    socat) socat -u -T 600 "TCP:$host:$port,connect-timeout=10" STDOUT ;;\n`,
            to: `    socat) socat -b 1048576 -u -T 600 "TCP:$host:$port,connect-timeout=10" STDOUT ;;\n`,
        },
        {
            file: "lib.sh",
            from: `    socat) exec socat -U "TCP-LISTEN:$port,reuseaddr,fork,max-children=1" "SYSTEM:\${command% }" ;;\n`,
            to: `    socat) exec socat -b 1048576 -U "TCP-LISTEN:$port,reuseaddr,fork,max-children=1" "SYSTEM:\${command% }" ;;\n`,
        },
        {
            file: "engine-mariadb.sh",
            from: `    --slave-info --stream=xbstream --datadir="$DATA_DIR" --target-dir="$1"\n`,
            to: `    --slave-info --stream=xbstream --parallel=4 --datadir="$DATA_DIR" --target-dir="$1"\n`,
        },
        {
            file: "clone-from-peer.sh",
            from: `  if ! receive_stream "$donor" "$CLONE_PORT" | "$ENGINE_XBSTREAM" -x -C "$CLONE_STAGING"; then\n`,
            to: `  if ! receive_stream "$donor" "$CLONE_PORT" | "$ENGINE_XBSTREAM" -x --parallel=2 -C "$CLONE_STAGING"; then\n`,
        },
    ],
};

/** The ConfigMap directory the harness wrote for this cluster (read by each container at start). */
function configMapDir(cluster: Cluster): string {
    return path.join(cluster.workDir, "config-map");
}

/** Applies a proposal to the cluster's ConfigMap; returns the function that restores it. */
export function applyProposal(cluster: Cluster, proposal: Proposal): () => void {
    const originals = new Map<string, string>();
    for (const patch of proposal.patches) {
        const file = path.join(configMapDir(cluster), patch.file);
        const text = originals.get(file) ?? fs.readFileSync(file, "utf8");
        if (!originals.has(file)) originals.set(file, text);
        const current = fs.readFileSync(file, "utf8");
        const count = current.split(patch.from).length - 1;
        if (count !== 1) throw new Error(`proposal ${proposal.name}: the patch of ${patch.file} matches ${count} times (expected once): the scripts changed`);
        fs.writeFileSync(file, current.replace(patch.from, patch.to));
    }
    return () => {
        for (const [file, text] of originals) fs.writeFileSync(file, text);
    };
}

/** The proposal as a unified diff against the repository's files. */
export function proposalDiff(proposal: Proposal, repoRoot: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-diff-"));
    try {
        const diffs: string[] = [];
        const files = [...new Set(proposal.patches.map((p) => p.file))];
        for (const file of files) {
            const relative = file.endsWith(".cnf") ? path.join("components/mysql/conf/mariadb", file) : path.join("components/mysql/scripts", file);
            let text = fs.readFileSync(path.join(repoRoot, relative), "utf8");
            for (const patch of proposal.patches.filter((p) => p.file === file)) text = text.replace(patch.from, patch.to);
            fs.mkdirSync(path.join(dir, "b", path.dirname(relative)), { recursive: true });
            fs.writeFileSync(path.join(dir, "b", relative), text);
            try {
                execFileSync("diff", ["-u", "--label", `a/${relative}`, "--label", `b/${relative}`, path.join(repoRoot, relative), path.join(dir, "b", relative)], { encoding: "utf8" });
            } catch (e) {
                // diff exits 1 when the files differ: that is the output wanted.
                diffs.push((e as { stdout: string }).stdout);
            }
        }
        return diffs.join("");
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
