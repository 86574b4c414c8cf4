import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AnalyzeDiagnostic, EnforcementLevel } from "@pulumi/pulumi/proto/analyzer_pb";
import { AnalyzerProcess, analyzerPlugin, urn } from "./analyzer-process";
import { databaseStatefulSet, podDisruptionBudget } from "./fixtures";
import { podDisruptionBudgetType, statefulSetType, unknownString } from "./harness";

interface Diagnostic {
    policy: string;
    level: number;
    message: string;
    urn: string;
}

const diagnostics = (list: AnalyzeDiagnostic[]): Diagnostic[] => list.map(d => ({
    policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage(), urn: d.getUrn(),
}));

/** The engine shows "<description>\n<message>"; the message is the part after the first line. */
const messageOf = (d: Diagnostic) => d.message.slice(d.message.indexOf("\n") + 1);

function brokenStatefulSet(): any {
    const sts = databaseStatefulSet();
    const server = sts.spec.template.spec.containers[0];
    delete server.startupProbe;
    delete server.livenessProbe;
    delete server.readinessProbe;
    sts.spec.volumeClaimTemplates[0].spec.storageClassName = "gp2";
    sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage = "100Mi";
    return sts;
}

describe("policy pack over the analyzer gRPC protocol (a real process, started like the Pulumi CLI does)", function () {
    // Starting the pack compiles it with ts-node's type check, which takes a while on a shared machine.
    this.timeout(240_000);
    let pack: AnalyzerProcess;

    before(async () => {
        pack = await AnalyzerProcess.start();
    });

    after(async () => {
        if (pack) {
            const pid = pack.pid;
            await pack.stop();
            assert.throws(() => process.kill(pid!, 0), /ESRCH/, "the pack process is gone after stop");
        }
    });

    it("GetAnalyzerInfo lists every policy with its enforcement level and config schema", async () => {
        const info = await pack.getAnalyzerInfo();
        assert.strictEqual(info.getName(), "replicated-mysql");
        assert.strictEqual(info.getVersion(), "0.1.0");
        assert.strictEqual(info.getSupportsconfig(), true);
        const policies = new Map(info.getPoliciesList().map(p => [p.getName(), p]));
        assert.strictEqual(policies.size, 14);
        assert.strictEqual(policies.get("mysql-probes-present")?.getEnforcementlevel(), EnforcementLevel.MANDATORY);
        assert.strictEqual(policies.get("mysql-storage-class-allowed")?.getEnforcementlevel(), EnforcementLevel.MANDATORY);
        assert.strictEqual(policies.get("mysql-resource-requests")?.getEnforcementlevel(), EnforcementLevel.ADVISORY);
        const schema = policies.get("mysql-storage-class-allowed")?.getConfigschema()?.getProperties()?.toJavaScript() as any;
        assert.deepStrictEqual(schema.allowedStorageClasses.default, ["standard", "linstor-csi-lvm-thin-r1", "mysql-gp2", "mysql-gp3", "local-node"]);
        assert.strictEqual(schema.allowedStorageClasses.type, "array");
    });

    it("Analyze passes the component's StatefulSet", async () => {
        const response = await pack.analyze(statefulSetType, "mysql", databaseStatefulSet());
        assert.deepStrictEqual(diagnostics(response.getDiagnosticsList()), []);
    });

    it("Analyze reports a StatefulSet without probes, on a wrong class, with a tiny volume", async () => {
        const found = diagnostics((await pack.analyze(statefulSetType, "mysql", brokenStatefulSet())).getDiagnosticsList());
        assert.deepStrictEqual(found.map(d => d.policy).sort(), [
            "mysql-probes-present", "mysql-probes-present", "mysql-storage-class-allowed", "mysql-storage-minimum-size",
        ]);
        assert.ok(found.every(d => d.level === EnforcementLevel.MANDATORY));
        const tiny = found.find(d => d.policy === "mysql-storage-minimum-size")!;
        assert.strictEqual(tiny.message,
            "Each database volume claim requests at least the minimum storage size.\n" +
            'StatefulSet "mysql": spec.volumeClaimTemplates[0] ("data").spec.resources.requests.storage is "100Mi", less than the minimum 1Gi; ' +
            "request at least 1Gi (or lower minimumSize in the policy pack config).");
    });

    it("Analyze during preview skips unknown values and still reports the rest", async () => {
        const sts = brokenStatefulSet();
        sts.spec.volumeClaimTemplates[0].spec.storageClassName = unknownString;
        const found = diagnostics((await pack.analyze(statefulSetType, "mysql", sts)).getDiagnosticsList());
        assert.deepStrictEqual(found.map(d => d.policy).sort(), ["mysql-probes-present", "mysql-probes-present", "mysql-storage-minimum-size"]);
    });

    it("Configure overrides an enforcement level and a config value", async () => {
        await pack.configure({
            "mysql-probes-present": { enforcementLevel: EnforcementLevel.ADVISORY },
            "mysql-storage-minimum-size": { enforcementLevel: EnforcementLevel.MANDATORY, properties: { minimumSize: "20Gi" } },
        });
        const found = diagnostics((await pack.analyze(statefulSetType, "mysql", brokenStatefulSet())).getDiagnosticsList());
        assert.ok(found.filter(d => d.policy === "mysql-probes-present").every(d => d.level === EnforcementLevel.ADVISORY));
        const good = diagnostics((await pack.analyze(statefulSetType, "mysql", databaseStatefulSet())).getDiagnosticsList());
        assert.deepStrictEqual(good.map(messageOf), [
            'StatefulSet "mysql": spec.volumeClaimTemplates[0] ("data").spec.resources.requests.storage is "10Gi", less than the minimum 20Gi; ' +
            "request at least 20Gi (or lower minimumSize in the policy pack config).",
        ]);
    });

    it("Configure with an invalid value makes Analyze fail with a message naming the policy and the key", async () => {
        await pack.configure({ "mysql-storage-minimum-size": { enforcementLevel: EnforcementLevel.MANDATORY, properties: { minimumSize: 20 } } });
        await assert.rejects(pack.analyze(statefulSetType, "mysql", databaseStatefulSet()),
            (error: Error) => error.message.includes('Invalid config for policy "mysql-storage-minimum-size": minimumSize must be a Kubernetes quantity such as "10Gi", got 20.'));
        await pack.configure({ "mysql-storage-minimum-size": { enforcementLevel: EnforcementLevel.DISABLED } });
        const disabled = diagnostics((await pack.analyze(statefulSetType, "mysql", brokenStatefulSet())).getDiagnosticsList());
        assert.ok(!disabled.some(d => d.policy === "mysql-storage-minimum-size"));
    });

    it("AnalyzeStack reports a database StatefulSet that no PodDisruptionBudget covers", async () => {
        await pack.configure({});
        const alone = diagnostics((await pack.analyzeStack([{ type: statefulSetType, name: "mysql", props: databaseStatefulSet() }])).getDiagnosticsList());
        assert.deepStrictEqual(alone.map(d => [d.policy, d.level, d.urn]), [["mysql-pod-disruption-budget", EnforcementLevel.ADVISORY, urn(statefulSetType, "mysql")]]);
        assert.match(messageOf(alone[0]), /^StatefulSet "mysql": no PodDisruptionBudget selects its pods/);
        const covered = await pack.analyzeStack([
            { type: statefulSetType, name: "mysql", props: databaseStatefulSet() },
            { type: podDisruptionBudgetType, name: "mysql", props: podDisruptionBudget() },
        ]);
        assert.deepStrictEqual(diagnostics(covered.getDiagnosticsList()), []);
    });
});

describe("the pulumi-analyzer-policy plugin script", () => {
    it("fails with the message the CLI turns into \"run npm install\" where @pulumi/pulumi cannot be found", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "no-pulumi-"));
        try {
            const result = spawnSync(analyzerPlugin, ["127.0.0.1:1", "."], {
                cwd: dir, encoding: "utf8",
                env: { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}` },
            });
            assert.notStrictEqual(result.status, 0);
            assert.match(result.stderr, /Cannot find module '@pulumi\/pulumi\/cmd\/run-policy-pack'/);
            assert.strictEqual(result.stdout, "");
        } finally {
            fs.rmSync(dir, { recursive: true });
        }
    });
});
