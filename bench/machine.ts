/** The machine a bench run measured, read at run time, and the load other work put on it. */
import { execFileSync } from "child_process";
import * as os from "os";

export interface Machine {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    kernel: string;
    disk: string;
    node: string;
}

export function readMachine(dir: string): Machine {
    const mount = execFileSync("findmnt", ["-no", "SOURCE,FSTYPE", "--target", dir], { encoding: "utf8" }).trim().split(/\s+/);
    const device = mount[0].replace(/^\/dev\//, "");
    let rotational = "?";
    let size = "?";
    try {
        const info = execFileSync("lsblk", ["-dno", "SIZE,ROTA", `/dev/${device}`], { encoding: "utf8" }).trim().split(/\s+/);
        size = info[0];
        rotational = info[1] === "1" ? "reported rotational (virtio)" : "non-rotational";
    } catch {
        // Not a block device (overlay, tmpfs): the source says what it is.
    }
    return {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? "unknown",
        memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
        kernel: `${os.type()} ${os.release()}`,
        disk: `${mount[0]} (${mount[1]}, ${size}, ${rotational})`,
        node: process.version,
    };
}

/** Samples the 1-minute load average during the run. */
export class LoadSampler {
    private readonly samples: number[] = [];
    private readonly timer: NodeJS.Timeout;

    constructor(intervalMs = 5000) {
        this.samples.push(os.loadavg()[0]);
        this.timer = setInterval(() => this.samples.push(os.loadavg()[0]), intervalMs);
        this.timer.unref();
    }

    summary(): { mean: number; max: number; samples: number } {
        clearInterval(this.timer);
        const mean = this.samples.reduce((a, b) => a + b, 0) / this.samples.length;
        return { mean: Math.round(mean * 100) / 100, max: Math.max(...this.samples), samples: this.samples.length };
    }
}
