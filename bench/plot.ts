/**
 * The clone-scaling plot: clone time of the pod scripts and plain-copy time against datadir
 * size, plus, at the largest size, the best transfer variant beside the variant `today` (the
 * scripts' pipeline run the same way): variants are timed beside the scripts, so they compare
 * with each other, not with the clone line. Drawn with gnuplot (Debian's
 * gnuplot-nox); runnable alone to redraw from a results file:
 *   ts-node --transpile-only bench/plot.ts bench/results.json docs/benchmarks-clone.png
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Results } from "./report";

export function plotClone(results: Results, png: string): void {
    const clone = results.clone;
    if (!clone || clone.scaling.length === 0) throw new Error("no clone scaling results to plot");
    try {
        execFileSync("bash", ["-c", "command -v gnuplot"], { stdio: "ignore" });
    } catch {
        throw new Error("gnuplot is missing: apt-get install gnuplot-nox (scripts/setup-dataplane.sh should install it)");
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-plot-"));
    try {
        const data = path.join(dir, "scaling.dat");
        fs.writeFileSync(data, clone.scaling.map((p) => `${p.dataMiB} ${p.seconds} ${p.copySeconds}`).join("\n") + "\n");
        const best = clone.variants.find((v) => v.name === clone.bestVariant);
        const today = clone.variants.find((v) => v.name === "today");
        const largest = clone.scaling[clone.scaling.length - 1];
        const bestData = path.join(dir, "best.dat");
        if (best) fs.writeFileSync(bestData, `${largest.dataMiB} ${best.seconds}\n`);
        const todayData = path.join(dir, "today.dat");
        if (today && today !== best) fs.writeFileSync(todayData, `${largest.dataMiB} ${today.seconds}\n`);
        const maxX = largest.dataMiB * 1.1;
        const script = [
            `set terminal pngcairo size 900,560 font "sans,11"`,
            `set output "${png}"`,
            `set title "Seeding a replica vs. a plain copy of the same datadir (${results.mode} run, ${results.machine.cpus} cores, load ≈ ${results.load.mean1m})"`,
            `set xlabel "datadir size (MiB)"`,
            `set ylabel "seconds"`,
            `set key bottom right`,
            `set grid`,
            `set xrange [0:${maxX}]`,
            `set yrange [0:*]`,
            `plot "${data}" using 1:2 with linespoints lw 2 pt 7 title "clone (pod scripts today)", \\`,
            `     "${data}" using 1:3 with linespoints lw 2 pt 5 title "cp -a + sync (raw limit)", \\`,
            `     "${data}" using 1:($3*1.5) with lines dt 2 lw 1 title "target: 1.5 × copy"` +
                (best ? `, \\\n     "${bestData}" using 1:2 with points pt 9 ps 2 title "best transfer variant (beside the scripts): ${best.name}"` : "") +
                (today && today !== best ? `, \\\n     "${todayData}" using 1:2 with points pt 13 ps 2 title "variant today (the scripts' pipeline, beside them)"` : ""),
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
