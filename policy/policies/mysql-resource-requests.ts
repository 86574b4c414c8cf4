import { PolicyConfig, boolean } from "../lib/config";
import { databaseStatefulSetPolicy } from "../lib/define";
import { at, isUnknown } from "../lib/values";

const name = "mysql-resource-requests";

const config = new PolicyConfig(name, {
    requireMemoryLimit: boolean("Also require resources.limits.memory on every container.", true),
});

/**
 * Without requests the scheduler packs the database onto nodes with no room for its buffer pool
 * and the pod is first in line for eviction under memory pressure; without a memory limit one
 * runaway query can take the node's memory from its neighbours.
 */
export const mysqlResourceRequests = databaseStatefulSetPolicy({
    name,
    description: "Every container of a database StatefulSet requests CPU and memory (and limits memory).",
    enforcementLevel: "advisory",
    severity: "medium",
    url: "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
    remediationSteps: "Set resources.requests.cpu, resources.requests.memory and resources.limits.memory on every container.",
    config,
    validate(statefulSet, { requireMemoryLimit }, report) {
        const required: [string, string, string][] = [
            ["requests", "cpu", "it can be starved of CPU on a busy node"],
            ["requests", "memory", "the scheduler may place it on a node without room for it and it is evicted first under memory pressure"],
        ];
        if (requireMemoryLimit) {
            required.push(["limits", "memory", "it can take the node's memory from its neighbours"]);
        }
        for (const { container, path, label } of statefulSet.containers("containers")) {
            for (const [kind, resource, consequence] of required) {
                const value = at(container, "resources", kind, resource);
                if (!isUnknown(value) && (value === undefined || value === null || value === "")) {
                    report(`${statefulSet.label}: ${label} sets no ${path}.resources.${kind}.${resource}, so ${consequence}; set resources.${kind}.${resource}.`);
                }
            }
        }
    },
});
