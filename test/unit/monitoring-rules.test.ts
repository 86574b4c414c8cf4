/**
 * The alert rules, run by Prometheus's own tool: `promtool check rules` on the shipped file,
 * `promtool test rules` on test/monitoring/alerts.test.yaml (every alert fires on broken
 * clusters of both engines; none on healthy ones), and the same cases against the rules the
 * component renders with another lag threshold.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import * as yaml from "js-yaml";
import { RULES_FILE, prometheusRuleSpec, shippedRuleGroups } from "../../components/mysql/monitoring";

const TESTS_FILE = path.resolve(__dirname, "../monitoring/alerts.test.yaml");

function promtool(...args: string[]): { code: number | null; output: string } {
    const r = spawnSync("promtool", args, { encoding: "utf8" });
    if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") {
        assert.fail("promtool is not installed: install Debian's `prometheus` package (bash scripts/setup-dataplane.sh does)");
    }
    return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

interface AlertCase {
    alertname: string;
    eval_time: string;
    exp_alerts?: unknown[];
}

const alertNames = () => shippedRuleGroups().flatMap((g) => g.rules.map((r) => r.alert).filter((a): a is string => !!a));

describe("alert rules (promtool)", function () {
    it("the shipped rule file passes `promtool check rules`", () => {
        const r = promtool("check", "rules", RULES_FILE);
        assert.strictEqual(r.code, 0, r.output);
        assert.match(r.output, new RegExp(`SUCCESS: ${alertNames().length} rules found`));
    });

    it("every alert has a summary, a description and a severity of critical or warning", () => {
        for (const group of shippedRuleGroups()) {
            for (const rule of group.rules) {
                assert.ok(rule.alert, `rule ${rule.expr} is an alert`);
                assert.ok((rule.annotations?.summary ?? "").length > 10, `${rule.alert} has a summary`);
                assert.ok((rule.annotations?.description ?? "").length > 40, `${rule.alert} says what to do`);
                assert.ok(["critical", "warning"].includes(rule.labels?.severity ?? ""), `${rule.alert} has a severity`);
            }
        }
    });

    it("`promtool test rules` passes: each alert fires on a broken cluster and stays quiet on a healthy one", () => {
        const r = promtool("test", "rules", TESTS_FILE);
        assert.strictEqual(r.code, 0, r.output);
        assert.match(r.output, /SUCCESS/);
    });

    it("the test cases cover every alert, firing and quiet, and read the shipped rule file", () => {
        const tests = yaml.load(fs.readFileSync(TESTS_FILE, "utf8")) as { rule_files: string[]; tests: Array<{ alert_rule_test: AlertCase[] }> };
        assert.deepStrictEqual(tests.rule_files.map((f) => path.resolve(path.dirname(TESTS_FILE), f)), [RULES_FILE]);
        const [broken, healthy] = tests.tests;
        for (const alert of alertNames()) {
            assert.ok(broken.alert_rule_test.some((c) => c.alertname === alert && (c.exp_alerts ?? []).length > 0), `${alert} fires`);
            assert.ok(healthy.alert_rule_test.some((c) => c.alertname === alert && (c.exp_alerts ?? []).length === 0), `${alert} quiet`);
        }
    });

    it("the PrometheusRule's lag threshold reaches the expression: at 60 s the 45 s and 120 s replicas differ", () => {
        // The same cases against the rules as the component renders them for a 60 s threshold:
        // promtool must now report MySQLReplicaLagging wrong for the 45 s replica only.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rules-"));
        try {
            const rulesFile = path.join(dir, "alerts.yaml");
            fs.writeFileSync(rulesFile, yaml.dump(prometheusRuleSpec(60)));
            const tests = fs.readFileSync(TESTS_FILE, "utf8").replace(/^( +- ).*alerts\.yaml$/m, `$1${rulesFile}`);
            fs.writeFileSync(path.join(dir, "alerts.test.yaml"), tests);
            assert.strictEqual(promtool("check", "rules", rulesFile).code, 0);
            const r = promtool("test", "rules", path.join(dir, "alerts.test.yaml"));
            assert.strictEqual(r.code, 1, r.output);
            const failed = [...r.output.matchAll(/alertname: (\w+), time: (\w+)/g)].map((m) => `${m[1]}@${m[2]}`);
            assert.deepStrictEqual(failed, ["MySQLReplicaLagging@20m"], r.output);
            assert.match(r.output, /got:\[\s*0:\s*Labels:\{alertname="MySQLReplicaLagging", namespace="maria", pod="mysql-3"/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
