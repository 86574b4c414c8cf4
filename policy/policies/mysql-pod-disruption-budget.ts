import { PolicyConfig } from "../lib/config";
import { StackResource, stackPolicy } from "../lib/define";
import { selects } from "../lib/selector";
import { StatefulSetView, isDatabaseStatefulSet, objectName, statefulSetType } from "../lib/statefulset";
import { at, isUnknown } from "../lib/values";

const name = "mysql-pod-disruption-budget";

const budgetTypes = ["kubernetes:policy/v1:PodDisruptionBudget", "kubernetes:policy/v1beta1:PodDisruptionBudget"];

/** Namespaces match when equal, or when either is left to the provider's default (cannot prove otherwise). */
function sameNamespace(a: StackResource, b: StackResource): boolean {
    const first = at(a.props, "metadata", "namespace");
    const second = at(b.props, "metadata", "namespace");
    return typeof first !== "string" || typeof second !== "string" || first === second;
}

/** `"67%"` → 67; undefined for anything that is not a whole-number percentage. */
function percentage(value: unknown): number | undefined {
    const match = typeof value === "string" ? /^(\d+)%$/.exec(value) : null;
    return match ? Number(match[1]) : undefined;
}

/**
 * A percentage of `count` pods as the disruption controller computes it: rounded up, for
 * minAvailable and maxUnavailable alike (kubernetes/kubernetes v1.36.3,
 * pkg/controller/disruption/disruption.go getExpectedPodCount, which calls
 * intstr.GetScaledValueFromIntOrPercent(…, roundUp=true) for both fields).
 */
function scaledPercentage(percent: number, count: number): number {
    return Math.ceil((percent * count) / 100);
}

/** Why a budget never lets a pod go, or undefined when it allows at least one voluntary disruption. */
function blocksEveryEviction(budget: StackResource, replicas: unknown): string | undefined {
    const spec = budget.props.spec;
    const maxUnavailable = at(spec, "maxUnavailable");
    const minAvailable = at(spec, "minAvailable");
    const maxPercent = percentage(maxUnavailable);
    const minPercent = percentage(minAvailable);
    // Rounded up, any percentage above 0% of one pod or more is at least one pod.
    if (maxUnavailable === 0 || maxUnavailable === "0" || maxPercent === 0) {
        return `maxUnavailable: ${JSON.stringify(maxUnavailable)}`;
    }
    if (minPercent !== undefined && minPercent >= 100) {
        return `minAvailable: ${JSON.stringify(minAvailable)}`;
    }
    const count = typeof replicas === "number" ? replicas : replicas === undefined ? 1 : undefined;
    if (count === undefined) {
        return undefined;
    }
    if (typeof minAvailable === "number" && minAvailable >= count) {
        return `minAvailable: ${minAvailable} with ${count} replicas`;
    }
    if (minPercent !== undefined && scaledPercentage(minPercent, count) >= count) {
        return `minAvailable: ${JSON.stringify(minAvailable)} with ${count} replicas, which Kubernetes rounds up to ${scaledPercentage(minPercent, count)}`;
    }
    return undefined;
}

/**
 * Without a PodDisruptionBudget a node drain or cluster upgrade may evict the primary and every
 * replica at once; with one that allows no disruption at all, drains hang until someone deletes
 * it by hand. Stack-wide because the budget and the StatefulSet are separate resources.
 */
export const mysqlPodDisruptionBudget = stackPolicy({
    name,
    description: "A PodDisruptionBudget selects each database StatefulSet's pods and still allows one voluntary eviction.",
    enforcementLevel: "advisory",
    severity: "medium",
    url: "https://kubernetes.io/docs/tasks/run-application/configure-pdb/",
    remediationSteps: "Add a policy/v1 PodDisruptionBudget in the StatefulSet's namespace whose selector matches spec.template.metadata.labels, with maxUnavailable: 1.",
    config: new PolicyConfig(name, {}),
    validate(resources, _config, report) {
        const budgets = resources.filter(resource => budgetTypes.includes(resource.type));
        for (const resource of resources) {
            if (resource.type !== statefulSetType) {
                continue;
            }
            const statefulSet = new StatefulSetView(resource.props, resource.name);
            if (!isDatabaseStatefulSet(statefulSet)) {
                continue;
            }
            const labels = statefulSet.podLabels;
            if (isUnknown(labels)) {
                continue;
            }
            const selection = budgets
                .filter(budget => sameNamespace(budget, resource))
                .map(budget => ({ budget, selected: selects(at(budget.props, "spec", "selector"), labels) }));
            if (selection.every(({ selected }) => selected === false)) {
                const shown = Object.entries(labels).map(([key, value]) => `${key}=${value}`).join(", ");
                report(`${statefulSet.label}: no PodDisruptionBudget selects its pods (spec.template.metadata.labels: ${shown || "none"}), ` +
                    `so a node drain can evict the primary and every replica at once; add a policy/v1 PodDisruptionBudget whose selector matches these labels, with maxUnavailable: 1.`,
                resource.urn);
                continue;
            }
            const replicas = at(resource.props, "spec", "replicas");
            for (const { budget, selected } of selection) {
                if (selected !== true) {
                    continue;
                }
                const blocking = isUnknown(replicas) ? undefined : blocksEveryEviction(budget, replicas);
                if (blocking) {
                    report(`${statefulSet.label}: PodDisruptionBudget "${objectName(budget.props, budget.name)}" selects its pods but allows no voluntary eviction (spec.${blocking}), ` +
                        `so node drains hang; use maxUnavailable: 1.`, resource.urn);
                }
            }
        }
    },
});
