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

    // Kubernetes rounds a percentage up for both fields (disruption.go getExpectedPodCount).
    const withBudget = async (replicas: number, spec: object) => {
        const statefulSet = databaseStatefulSet();
        statefulSet.spec.replicas = replicas;
        const budget = podDisruptionBudget();
        budget.spec = { ...spec, selector: budget.spec.selector };
        return (await stack([statefulSetType, statefulSet], [podDisruptionBudgetType, budget])).map(v => v.message);
    };
    const blocked = (reason: string) =>
        `StatefulSet "mysql": PodDisruptionBudget "mysql" selects its pods but allows no voluntary eviction (spec.${reason}), ` +
        "so node drains hang; use maxUnavailable: 1.";

    for (const [minAvailable, replicas, roundedUp] of [["50%", 1, 1], ["67%", 3, 3], ["81%", 5, 5]] as const) {
        it(`reports minAvailable "${minAvailable}" over ${replicas} replica(s), which rounds up to all ${roundedUp}`, async () => {
            assert.deepStrictEqual(await withBudget(replicas, { minAvailable }), [
                blocked(`minAvailable: "${minAvailable}" with ${replicas} replicas, which Kubernetes rounds up to ${roundedUp}`),
            ]);
        });
    }

    it("reports minAvailable of 100% or more whatever the replicas, as it reports \"100%\"", async () => {
        assert.deepStrictEqual(await withBudget(3, { minAvailable: "100%" }), [blocked('minAvailable: "100%"')]);
        assert.deepStrictEqual(await withBudget(7, { minAvailable: "150%" }), [blocked('minAvailable: "150%"')]);
    });

    it("passes a minAvailable percentage that leaves one pod to evict after rounding up", async () => {
        assert.deepStrictEqual(await withBudget(3, { minAvailable: "66%" }), []); // ceil(1.98) = 2 of 3
        assert.deepStrictEqual(await withBudget(2, { minAvailable: "50%" }), []); // 1 of 2
        assert.deepStrictEqual(await withBudget(5, { minAvailable: "80%" }), []); // 4 of 5
    });

    it("passes a maxUnavailable percentage above 0%, which rounds up to at least one pod", async () => {
        assert.deepStrictEqual(await withBudget(1, { maxUnavailable: "50%" }), []);
        assert.deepStrictEqual(await withBudget(3, { maxUnavailable: "1%" }), []);
        assert.deepStrictEqual(await withBudget(5, { maxUnavailable: "34%" }), []);
    });

    it("reports maxUnavailable \"0%\", however it is written", async () => {
        assert.deepStrictEqual(await withBudget(3, { maxUnavailable: "0%" }), [blocked('maxUnavailable: "0%"')]);
        assert.deepStrictEqual(await withBudget(3, { maxUnavailable: "00%" }), [blocked('maxUnavailable: "00%"')]);
    });

    it("does not judge a minAvailable percentage while preview hides the replica count", async () => {
        const statefulSet = databaseStatefulSet();
        statefulSet.spec.replicas = unknownObject;
        const budget = podDisruptionBudget();
        budget.spec = { minAvailable: "67%", selector: budget.spec.selector };
        assert.deepStrictEqual(await stack([statefulSetType, statefulSet], [podDisruptionBudgetType, budget]), []);
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
