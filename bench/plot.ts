/**
 * The clone-scaling plot: per engine, the time a replica spends moving data (created → Ready
 * minus the per-pod fixed cost) and the plain-copy time of the same datadir, against datadir
 * size, with the 1.1 × copy target. Drawn with gnuplot (Debian's gnuplot-nox); runnable
 * alone to redraw from a results file:
 *   ts-node --transpile-only bench/plot.ts bench/results.json docs/benchmarks-clone.png
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Engine } from "../components/mysql/engine";
import { CloneResults, Results, TARGETS } from "./report";

export function plotClone(results: Results, png: string): void {
    const engines = (Object.entries(results.clone) as [Engine, CloneResults][]).filter(([, c]) => c.scaling.length > 0);
    if (engines.length === 0) throw new Error("no clone scaling results to plot");
    try {
        execFileSync("bash", ["-c", "command -v gnuplot"], { stdio: "ignore" });
    } catch {
        throw new Error("gnuplot is missing: apt-get install gnuplot-nox (scripts/setup-dataplane.sh should install it)");
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-plot-"));
    try {
        const lines: string[] = [];
        let maxX = 0;
        for (const [engine, clone] of engines) {
            const data = path.join(dir, `${engine}.dat`);
            fs.writeFileSync(data, clone.scaling.map((p) => `${p.dataMiB} ${p.cloneSeconds} ${p.copySeconds}`).join("\n") + "\n");
            maxX = Math.max(maxX, ...clone.scaling.map((p) => p.dataMiB));
            lines.push(
                `"${data}" using 1:2 with linespoints lw 2 pt 7 title "${engine}: clone (moving data)"`,
                `"${data}" using 1:3 with linespoints lw 2 pt 5 dt 3 title "${engine}: cp -a + fsync"`,
                `"${data}" using 1:($3*${TARGETS.ratioToCopy}) with lines dt 2 lw 1 title "${engine}: target ${TARGETS.ratioToCopy} × copy"`,
            );
        }
        const script = [
            `set terminal pngcairo size 900,560 font "sans,11"`,
            `set output "${png}"`,
            `set title "Seeding a replica vs. a plain copy of the same datadir (${results.mode} run, ${results.machine.cpus} cores, load ≈ ${results.load.mean1m})"`,
            `set xlabel "datadir size (MiB)"`,
            `set ylabel "seconds"`,
            `set key top left`,
            `set grid`,
            `set xrange [0:${maxX * 1.1}]`,
            `set yrange [0:*]`,
            `plot ${lines.join(", \\\n     ")}`,
        ].join("\n");
        fs.writeFileSync(path.join(dir, "plot.gp"), script);
        execFileSync("gnuplot", [path.join(dir, "plot.gp")], { stdio: ["ignore", "ignore", "pipe"] });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

if (require.main === module) {
    const [input, output] = process.argv.slice(2);
    if (!input || !output) {
        console.error("usage: plot.ts RESULTS.json OUTPUT.png");
        process.exit(2);
    }
    plotClone(JSON.parse(fs.readFileSync(input, "utf8")) as Results, path.resolve(output));
}
