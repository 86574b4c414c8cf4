/**
 * The bench's report of the real node's bring-up (bench/node-bringup.jsonl, appended by
 * `npm run test:e2e:node`): the newest figure per engine, judged against the 30 s target and
 * shown beside the harness's figure.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { checkTargets, latestNodeBringUp, markdown, Results } from "../../bench/report";

const line = (engine: string, seconds: number, measured: string) =>
    JSON.stringify({ engine, podsReadySeconds: seconds, pulumiUpSeconds: seconds + 10, measured, loadAverage: "1.00 2.00 3.00" });

function results(nodeBringUp: Results["nodeBringUp"]): Results {
    return {
        mode: "quick",
        startedAt: "2026-12-01T00:00:00Z",
        finishedAt: "2026-12-01T00:01:00Z",
        totalSeconds: 60,
        machine: { cpus: 2, memoryGiB: 24, kernel: "6.1" } as Results["machine"],
        load: { mean1m: 1, max1m: 2, samples: 3, note: "" },
        method: {},
        clone: {},
        engines: { mysql: { engine: "mysql", version: "9.7.4", bringUp: { seconds3: 20.5, pods: [] } } },
        nodeBringUp,
        targets: [],
        failures: [],
    };
}

describe("bench report: the real node's bring-up", function () {
    it("keeps the newest line per engine, whatever the order of the lines", function () {
        const text = [
            line("mysql", 37, "2026-11-30T22:53:50Z"),
            line("mariadb", 36, "2026-11-30T22:57:10Z"),
            line("mysql", 29, "2026-12-01T02:20:00Z"),
            line("mariadb", 40, "2026-11-29T10:00:00Z"),
            "",
        ].join("\n");
        const latest = latestNodeBringUp(text);
        assert.strictEqual(latest.mysql?.podsReadySeconds, 29);
        assert.strictEqual(latest.mysql?.measured, "2026-12-01T02:20:00Z");
        assert.strictEqual(latest.mariadb?.podsReadySeconds, 36);
    });

    it("skips lines of another engine or shape, and names a line that is not JSON", function () {
        assert.deepStrictEqual(latestNodeBringUp(`{"engine":"postgres","podsReadySeconds":1}\n{"engine":"mysql"}\n`), {});
        assert.throws(() => latestNodeBringUp(`${line("mysql", 30, "x")}\nnot json\n`), /node bring-up line 2 is not JSON: not json/);
    });

    it("judges the figure against the 30 s target, saying by how much it missed", function () {
        const met = checkTargets(results({ mysql: latestNodeBringUp(line("mysql", 29, "2026-12-01T02:20:00Z")).mysql! }));
        const node = met.find((t) => t.metric === "node.mysql.podsReadySeconds");
        assert.ok(node, "a target check for the node's bring-up");
        assert.strictEqual(node.met, true);
        assert.strictEqual(node.target, "< 30 s");
        assert.match(node.why, /harness's 20\.50 s/);

        const missed = checkTargets(results({ mysql: latestNodeBringUp(line("mysql", 33, "2026-12-01T02:20:00Z")).mysql! }));
        const late = missed.find((t) => t.metric === "node.mysql.podsReadySeconds")!;
        assert.strictEqual(late.met, false);
        assert.strictEqual(late.missedBy, "3 s over");
    });

    it("shows it in the table beside the harness's bring-up", function () {
        const table = markdown(results({ mysql: latestNodeBringUp(line("mysql", 29, "2026-12-01T02:20:00Z")).mysql! }));
        assert.match(table, /\| bring-up of 3 pods s \| 20\.50 \|/);
        assert.match(table, /\| bring-up of 3 pods on the real node s \(e2e-node\) \| 29 \(2026-12-01T02:20:00Z\) \|/);
    });

    it("reads the committed bench/node-bringup.jsonl", function () {
        const text = fs.readFileSync(path.resolve(__dirname, "../../bench/node-bringup.jsonl"), "utf8");
        const latest = latestNodeBringUp(text);
        assert.ok(latest.mysql && latest.mariadb, "a figure for each engine");
    });
});
