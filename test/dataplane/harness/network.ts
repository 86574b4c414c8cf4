/**
 * Pod networking of a data-plane run: a private bridge inside a network namespace of its
 * own (10.213.77.0/24; nothing on the host network), one network namespace per pod and one
 * for the test client, each attached to the bridge by a veth pair. Every namespace is made
 * by this run and recorded, so teardown removes exactly those.
 */
import { execFileSync } from "child_process";
import { appendLog, run, runOk, waitFor } from "./process";

const SUBNET = "10.213.77";

/** A locally administered unicast MAC from an IPv4 address: 02:00 + its four octets in hex. */
export function macFor(address: string): string {
    const octets = address.split(".").map(Number);
    if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) throw new Error(`not an IPv4 address: ${address}`);
    return ["02", "00", ...octets.map((o) => o.toString(16).padStart(2, "0"))].join(":");
}

export class PodNetwork {
    readonly clientAddress = `${SUBNET}.250`;
    private readonly made: string[] = [];

    /** `prefix` keeps names unique per run and short: interface names have at most 15 characters. */
    constructor(private readonly prefix: string, private readonly eventsLog: string) {}

    private get bridge(): string {
        return `${this.prefix}br`;
    }
    /** The client's network namespace. */
    get clientNetns(): string {
        return `${this.prefix}cl`;
    }
    podNetns(n: number): string {
        return `${this.prefix}p${n}`;
    }
    podAddress(n: number): string {
        return `${SUBNET}.${10 + n}`;
    }

    async setUp(): Promise<void> {
        await this.addNetns(this.bridge);
        await runOk("ip", ["-n", this.bridge, "link", "add", "br0", "type", "bridge"]);
        await runOk("ip", ["-n", this.bridge, "link", "set", "br0", "up"]);
        await this.attach(this.clientNetns, "vcl", this.clientAddress);
    }

    private async addNetns(name: string): Promise<void> {
        await runOk("ip", ["netns", "add", name]);
        this.made.push(name);
        await runOk("ip", ["-n", name, "link", "set", "lo", "up"]);
    }

    /**
     * A network namespace on the bridge with one address. Its eth0 gets a MAC derived from
     * that address, so a pod started again keeps its MAC under its old IP and peers' ARP
     * entries stay right (a new random MAC left them stale for ~5 s, past connect timeouts).
     */
    private async attach(netns: string, hostSide: string, address: string): Promise<void> {
        await this.addNetns(netns);
        await runOk("ip", ["-n", this.bridge, "link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "address", macFor(address), "netns", netns]);
        await runOk("ip", ["-n", this.bridge, "link", "set", hostSide, "master", "br0", "up"]);
        await runOk("ip", ["-n", netns, "addr", "add", `${address}/24`, "dev", "eth0"]);
        await runOk("ip", ["-n", netns, "link", "set", "eth0", "up"]);
    }

    async attachPod(n: number): Promise<void> {
        await this.attach(this.podNetns(n), `vp${n}`, this.podAddress(n));
    }

    /**
     * Takes a pod's namespace off the bridge for good before it returns. Deleting a named
     * netns only drops its mount; the kernel frees the namespace, and with it the veth pair,
     * later on a work queue. On a busy 2-core CI machine that outlasted a scale-down followed
     * at once by a scale-up, and re-adding `vpN` failed with "File exists". So: end any
     * process of this pod still inside the netns (all were started by this run), delete the
     * veth pair by its bridge side (synchronous), delete the netns, and check the name is free.
     */
    async detachPod(n: number): Promise<void> {
        const netns = this.podNetns(n);
        const hostSide = `vp${n}`;
        const left = (await run("ip", ["netns", "pids", netns])).stdout.split(/\s+/).filter((p) => /^\d+$/.test(p));
        for (const pid of left) {
            appendLog(this.eventsLog, `${netns}: process ${pid} outlived its pod; SIGKILL`);
            try {
                process.kill(Number(pid), "SIGKILL");
            } catch {
                // Exited meanwhile.
            }
        }
        if (left.length > 0) {
            await waitFor(`processes of ${netns} to exit`, 10000, async () =>
                (await run("ip", ["netns", "pids", netns])).stdout.trim() === "" ? true : undefined, 50);
        }
        await run("ip", ["-n", this.bridge, "link", "del", hostSide]);
        await run("ip", ["netns", "del", netns]);
        const i = this.made.indexOf(netns);
        if (i >= 0) this.made.splice(i, 1);
        const still = await run("ip", ["-n", this.bridge, "link", "show", hostSide]);
        if (still.code === 0) throw new Error(`${hostSide} still exists on the bridge after deleting ${netns}`);
    }

    /**
     * Cuts pod n off the network without closing anything (its bridge port down: packets to
     * and from it are dropped, as when a node is lost), or puts it back.
     */
    async setLink(n: number, up: boolean): Promise<void> {
        await runOk("ip", ["-n", this.bridge, "link", "set", `vp${n}`, up ? "up" : "down"]);
    }

    /** Deletes every namespace this run made (synchronous: safe in exit handlers). */
    destroySync(): void {
        for (const netns of [...this.made].reverse()) {
            try {
                execFileSync("ip", ["netns", "del", netns], { stdio: "ignore" });
            } catch {
                // Already gone.
            }
        }
        this.made.length = 0;
    }
}
