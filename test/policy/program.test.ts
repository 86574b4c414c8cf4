import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ProgramRun, STACKS, StackName, runProgram, stackConfig, writeKubeconfig } from "../helpers/program";
import { replicatedMysqlPolicies } from "../../policy/policies";
import { mysqlProbesPresent } from "../../policy/policies/mysql-probes-present";
import { PackConfig, PackViolation, podDisruptionBudgetType, statefulSetType, storageClassType, validatePack, validateResource } from "./harness";

// The engine asks the pack about what the program registers, not about what it reads (the
// program reads the StorageClass it uses on an existing cluster).
const asPolicyInput = (run: ProgramRun) => run.resources.filter(r => !r.read).map(r => ({ type: r.type, name: r.name, props: r.inputs }));

function databaseStatefulSets(run: ProgramRun) {
    return run.resources.filter(r => r.type === statefulSetType && r.inputs.spec?.template?.metadata?.labels?.["app.kubernetes.io/component"] === "database");
}

describe("policy pack over the resources the real program registers (Pulumi mocks)", () => {
    const runs = {} as Record<StackName, ProgramRun>;
    const violations = {} as Record<StackName, PackViolation[]>;

    before(async () => {
        for (const stack of STACKS) {
            runs[stack] = await runProgram(stackConfig(stack));
            violations[stack] = await validatePack(replicatedMysqlPolicies, asPolicyInput(runs[stack]));
        }
    });

    for (const stack of STACKS) {
        describe(`stack ${stack}`, () => {
            it("registers what the policies look at (so a pass is not vacuous)", () => {
                assert.strictEqual(databaseStatefulSets(runs[stack]).length, 1);
                assert.strictEqual(runs[stack].resources.filter(r => r.type === podDisruptionBudgetType).length, 1);
            });

            it("has no mandatory violations", () => {
                assert.deepStrictEqual(violations[stack].filter(v => v.level === "mandatory"), []);
            });

            it("has no advisory violations either", () => {
                assert.deepStrictEqual(violations[stack], []);
            });

            it("passes the stricter example config (policy/config.example.json), every policy mandatory", async () => {
                const example = JSON.parse(fs.readFileSync(path.join(__dirname, "../../policy/config.example.json"), "utf8")) as PackConfig;
                assert.deepStrictEqual(await validatePack(replicatedMysqlPolicies, asPolicyInput(runs[stack]), example), []);
            });
        });
    }

    it("checks the StorageClasses the EKS and LINSTOR stacks create", () => {
        const classes = (stack: StackName) => runs[stack].resources.filter(r => r.type === storageClassType && !r.read).map(r => r.inputs.metadata?.name);
        assert.deepStrictEqual(classes("eks"), ["mysql-gp2"]);
        assert.deepStrictEqual(classes("linstor"), ["linstor-csi-lvm-thin-r1"]);
        assert.deepStrictEqual(classes("dev"), []);
    });

    it("passes the local stack (Pulumi.local.yaml, as local:up completes it) with the pack's defaults, as the README's one command runs it", async () => {
        const kubeconfig = writeKubeconfig();
        const run = await runProgram({
            ...stackConfig("local" as StackName),
            "replicated-mysql:kubeconfig": kubeconfig,
            "replicated-mysql:image": "localhost/replicated-mysql/mysql:9.7.4-debian",
            "replicated-mysql:metricsImage": "localhost/replicated-mysql/mysqld-exporter:v0.19.0",
        });
        assert.strictEqual(databaseStatefulSets(run)[0].inputs.spec.volumeClaimTemplates[0].spec.storageClassName, "local-node");
        assert.deepStrictEqual(await validatePack(replicatedMysqlPolicies, asPolicyInput(run)), []);
    });

    it("passes the EKS stack switched to gp3 volumes", async () => {
        const run = await runProgram({ ...stackConfig("eks"), "replicated-mysql:ebsVolumeType": "gp3" });
        assert.deepStrictEqual(run.resources.filter(r => r.type === storageClassType).map(r => r.inputs.metadata?.name), ["mysql-gp3"]);
        assert.deepStrictEqual(await validatePack(replicatedMysqlPolicies, asPolicyInput(run)), []);
    });

    it("reports a wrong storage class and a volume under the pack's minimum set through stack config", async () => {
        // The program itself refuses less than 1Gi, the pack's default minimum: raise the minimum.
        const run = await runProgram({ ...stackConfig("dev"), "replicated-mysql:storageClass": "gp2", "replicated-mysql:storageSize": "2Gi" }, [], {
            [`${storageClassType}::gp2`]: { metadata: { name: "gp2" }, provisioner: "ebs.csi.aws.com" },
        });
        const found = await validatePack(replicatedMysqlPolicies, asPolicyInput(run), { "mysql-storage-minimum-size": { minimumSize: "5Gi" } });
        const name = databaseStatefulSets(run)[0].inputs.metadata.name;
        assert.deepStrictEqual(found.map(v => [v.policy, v.level, v.message]), [
            ["mysql-storage-class-allowed", "mandatory",
                `StatefulSet "${name}": spec.volumeClaimTemplates[0] ("data").spec.storageClassName is "gp2", which is not an allowed storage class; ` +
                "use one of: standard, linstor-csi-lvm-thin-r1, mysql-gp2, mysql-gp3, local-node (or add it to allowedStorageClasses in the policy pack config)."],
            ["mysql-storage-minimum-size", "mandatory",
                `StatefulSet "${name}": spec.volumeClaimTemplates[0] ("data").spec.resources.requests.storage is "2Gi", less than the minimum 5Gi; ` +
                "request at least 5Gi (or lower minimumSize in the policy pack config)."],
        ]);
    });

    it("reports the program's StatefulSet once its probes are removed", async () => {
        const statefulSet = databaseStatefulSets(runs.dev)[0];
        const props = JSON.parse(JSON.stringify(statefulSet.inputs));
        const server = props.spec.template.spec.containers.find((c: { name: string }) => c.name === "mysql");
        delete server.startupProbe;
        delete server.livenessProbe;
        delete server.readinessProbe;
        const messages = await validateResource(mysqlProbesPresent, statefulSetType, props, {}, statefulSet.name);
        assert.deepStrictEqual(messages.map(m => m.replace(/:.*/, "")), [`StatefulSet "${props.metadata.name}"`, `StatefulSet "${props.metadata.name}"`]);
        assert.match(messages[0], /has no readinessProbe/);
        assert.match(messages[1], /has no livenessProbe/);
    });
});
