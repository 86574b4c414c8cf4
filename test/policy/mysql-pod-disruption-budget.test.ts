import * as assert from "assert";
import { mysqlPodDisruptionBudget } from "../../policy/policies/mysql-pod-disruption-budget";
import { databaseStatefulSet, podDisruptionBudget, webStatefulSet } from "./fixtures";
import { podDisruptionBudgetType, statefulSetType, unknownObject, urnFor, validateStack } from "./harness";

const stack = (...resources: [string, object][]) =>
    validateStack(mysqlPodDisruptionBudget, resources.map(([type, props], i) => ({ type, props, name: `${type === statefulSetType ? "mysql" : "budget"}-${i}` })));
const missing = 'StatefulSet "mysql": no PodDisruptionBudget selects its pods (spec.template.metadata.labels: app.kubernetes.io/name=mysql, ' +
    "app.kubernetes.io/instance=mysql, app.kubernetes.io/component=database, app.kubernetes.io/part-of=replicated-mysql), " +
    "so a node drain can evict the primary and every replica at once; add a policy/v1 PodDisruptionBudget whose selector matches these labels, with maxUnavailable: 1.";

describe("policy mysql-pod-disruption-budget", () => {
    it("passes a budget that selects the StatefulSet's pods", async () => {
        assert.deepStrictEqual(await stack([statefulSetType, databaseStatefulSet()], [podDisruptionBudgetType, podDisruptionBudget()]), []);
    });

    it("reports a database StatefulSet with no budget, against the StatefulSet's URN", async () => {
        assert.deepStrictEqual(await stack([statefulSetType, databaseStatefulSet()]), [{ message: missing, urn: urnFor(statefulSetType, "mysql-0") }]);
    });

    it("reports a budget whose selector misses the pods", async () => {
        const budget = podDisruptionBudget();
        budget.spec.selector.matchLabels["app.kubernetes.io/instance"] = "other";
        assert.deepStrictEqual((await stack([statefulSetType, databaseStatefulSet()], [podDisruptionBudgetType, budget])).map(v => v.message), [missing]);
    });

    it("reports a budget in another namespace", async () => {
        const budget = podDisruptionBudget();
        budget.metadata.namespace = "elsewhere";
        assert.strictEqual((await stack([statefulSetType, databaseStatefulSet()], [podDisruptionBudgetType, budget])).length, 1);
    });

    it("matches matchExpressions", async () => {
        const budget = podDisruptionBudget();
        budget.spec.selector = { matchExpressions: [
            { key: "app.kubernetes.io/component", operator: "In", values: ["database"] },
            { key: "canary", operator: "DoesNotExist" },
        ] };
        assert.deepStrictEqual(await stack([statefulSetType, databaseStatefulSet()], [podDisruptionBudgetType, budget]), []);
        budget.spec.selector.matchExpressions[1] = { key: "app.kubernetes.io/name", operator: "NotIn", values: ["mysql"] };
        assert.strictEqual((await stack([statefulSetType, databaseStatefulSet()], [podDisruptionBudgetType, budget])).length, 1);
    });

    it("reports a budget that allows no eviction", async () => {
        const budget = podDisruptionBudget();
        budget.spec = { minAvailable: 3, selector: budget.spec.selector };
        assert.deepStrictEqual((await stack([statefulSetType, databaseStatefulSet()], [podDisruptionBudgetType, budget])).map(v => v.message), [
            'StatefulSet "mysql": PodDisruptionBudget "mysql" selects its pods but allows no voluntary eviction (spec.minAvailable: 3 with 3 replicas), ' +
            "so node drains hang; use maxUnavailable: 1.",
        ]);
        budget.spec = { maxUnavailable: 0, selector: budget.spec.selector };
        assert.match((await stack([statefulSetType, databaseStatefulSet()], [podDisruptionBudgetType, budget]))[0].message, /\(spec\.maxUnavailable: 0\)/);
    });

    it("ignores StatefulSets that are not databases", async () => {
        assert.deepStrictEqual(await stack([statefulSetType, webStatefulSet()]), []);
    });

    it("does not report when preview hides the budget's selector", async () => {
        const budget = podDisruptionBudget();
        budget.spec.selector = unknownObject;
        assert.deepStrictEqual(await stack([statefulSetType, databaseStatefulSet()], [podDisruptionBudgetType, budget]), []);
    });
});
