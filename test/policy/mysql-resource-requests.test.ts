import * as assert from "assert";
import { mysqlResourceRequests } from "../../policy/policies/mysql-resource-requests";
import { databaseStatefulSet } from "./fixtures";
import { statefulSetType, validateResource } from "./harness";

const run = (props: object, config?: Record<string, unknown>) => validateResource(mysqlResourceRequests, statefulSetType, props, config);

describe("policy mysql-resource-requests", () => {
    it("passes containers with requests and a memory limit", async () => {
        assert.deepStrictEqual(await run(databaseStatefulSet()), []);
    });

    it("reports a missing memory request", async () => {
        const sts = databaseStatefulSet();
        sts.spec.template.spec.containers[0].resources = { requests: { cpu: "1" }, limits: { memory: "2Gi" } };
        assert.deepStrictEqual(await run(sts), [
            'StatefulSet "mysql": container "mysql" sets no spec.template.spec.containers[0].resources.requests.memory, ' +
            "so the scheduler may place it on a node without room for it and it is evicted first under memory pressure; set resources.requests.memory.",
        ]);
    });

    it("reports a sidecar with no resources at all", async () => {
        const sts = databaseStatefulSet();
        delete sts.spec.template.spec.containers[1].resources;
        assert.deepStrictEqual(await run(sts), [
            'StatefulSet "mysql": container "clone-server" sets no spec.template.spec.containers[1].resources.requests.cpu, so it can be starved of CPU on a busy node; set resources.requests.cpu.',
            'StatefulSet "mysql": container "clone-server" sets no spec.template.spec.containers[1].resources.requests.memory, ' +
            "so the scheduler may place it on a node without room for it and it is evicted first under memory pressure; set resources.requests.memory.",
            'StatefulSet "mysql": container "clone-server" sets no spec.template.spec.containers[1].resources.limits.memory, ' +
            "so it can take the node's memory from its neighbours; set resources.limits.memory.",
        ]);
    });

    it("does not require a memory limit when the config says so", async () => {
        const sts = databaseStatefulSet();
        delete sts.spec.template.spec.containers[0].resources.limits;
        assert.strictEqual((await run(sts)).length, 1);
        assert.deepStrictEqual(await run(sts, { requireMemoryLimit: false }), []);
    });
});
