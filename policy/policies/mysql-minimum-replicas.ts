import { PolicyConfig, integer } from "../lib/config";
import { databaseStatefulSetPolicy } from "../lib/define";
import { at, isUnknown } from "../lib/values";

const name = "mysql-minimum-replicas";

const config = new PolicyConfig(name, {
    minimumReplicas: integer("The fewest pods (primary plus read-only replicas) a database StatefulSet may run.", 2, 1, 100),
});

/** One pod is a primary with no copy of its data anywhere else and nothing behind mysql-read. */
export const mysqlMinimumReplicas = databaseStatefulSetPolicy({
    name,
    description: "A database StatefulSet runs at least the minimum number of pods.",
    enforcementLevel: "advisory",
    severity: "medium",
    url: "https://kubernetes.io/docs/tasks/run-application/run-replicated-stateful-application/",
    remediationSteps: "Raise spec.replicas to at least minimumReplicas.",
    config,
    validate(statefulSet, { minimumReplicas }, report) {
        const replicas = at(statefulSet.props, "spec", "replicas");
        if (isUnknown(replicas)) {
            return;
        }
        const count = typeof replicas === "number" ? replicas : 1;
        if (count < minimumReplicas) {
            const shown = typeof replicas === "number" ? `is ${count}` : "is not set (Kubernetes defaults to 1)";
            report(`${statefulSet.label}: spec.replicas ${shown}, fewer than the minimum ${minimumReplicas} (a primary and at least one replica); ` +
                `raise spec.replicas to at least ${minimumReplicas} (or lower minimumReplicas in the policy pack config).`);
        }
    },
});
