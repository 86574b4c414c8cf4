import * as assert from "assert";
import { mysqlMinimumReplicas } from "../../policy/policies/mysql-minimum-replicas";
import { databaseStatefulSet } from "./fixtures";
import { statefulSetType, validateResource } from "./harness";

const run = (props: object, config?: Record<string, unknown>) => validateResource(mysqlMinimumReplicas, statefulSetType, props, config);
const withReplicas = (replicas: number | undefined) => {
    const sts = databaseStatefulSet();
    sts.spec.replicas = replicas;
    if (replicas === undefined) {
        delete sts.spec.replicas;
    }
    return sts;
};

describe("policy mysql-minimum-replicas", () => {
    it("passes 3 and 2 replicas", async () => {
        assert.deepStrictEqual(await run(withReplicas(3)), []);
        assert.deepStrictEqual(await run(withReplicas(2)), []);
    });

    it("reports a lone primary", async () => {
        assert.deepStrictEqual(await run(withReplicas(1)), [
            'StatefulSet "mysql": spec.replicas is 1, fewer than the minimum 2 (a primary and at least one replica); ' +
            "raise spec.replicas to at least 2 (or lower minimumReplicas in the policy pack config).",
        ]);
    });

    it("reports unset replicas, which Kubernetes sets to 1", async () => {
        assert.match((await run(withReplicas(undefined)))[0], /^StatefulSet "mysql": spec\.replicas is not set \(Kubernetes defaults to 1\), fewer than the minimum 2/);
    });

    it("takes the minimum from config", async () => {
        assert.strictEqual((await run(withReplicas(2), { minimumReplicas: 3 })).length, 1);
        assert.deepStrictEqual(await run(withReplicas(1), { minimumReplicas: 1 }), []);
    });
});
