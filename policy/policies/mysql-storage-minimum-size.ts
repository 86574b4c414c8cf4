import { PolicyConfig, quantity } from "../lib/config";
import { databaseStatefulSetPolicy } from "../lib/define";
import { parseQuantity } from "../lib/quantity";
import { at, isUnknown } from "../lib/values";

const name = "mysql-storage-minimum-size";

const config = new PolicyConfig(name, {
    minimumSize: quantity("The smallest storage request a database volume claim may make.", "1Gi"),
});

/** A tiny volume fills with binary logs and relay logs long before the data grows, and mysqld stops writing. */
export const mysqlStorageMinimumSize = databaseStatefulSetPolicy({
    name,
    description: "Each database volume claim requests at least the minimum storage size.",
    enforcementLevel: "mandatory",
    severity: "high",
    url: "https://kubernetes.io/docs/concepts/storage/persistent-volumes/#resources",
    remediationSteps: "Raise spec.resources.requests.storage of every volumeClaimTemplate to at least minimumSize.",
    config,
    validate(statefulSet, { minimumSize }, report) {
        const claims = statefulSet.claimTemplates();
        if (isUnknown(claims)) {
            return;
        }
        for (const { claim, path } of claims) {
            const field = `${path}.spec.resources.requests.storage`;
            const requested = at(claim, "spec", "resources", "requests", "storage");
            if (isUnknown(requested)) {
                continue;
            }
            if (requested === undefined || requested === null) {
                report(`${statefulSet.label}: ${field} is not set; request at least ${minimumSize.text}.`);
                continue;
            }
            const bytes = typeof requested === "string" ? parseQuantity(requested) : typeof requested === "number" ? requested : undefined;
            if (bytes === undefined) {
                report(`${statefulSet.label}: ${field} is ${JSON.stringify(requested)}, which is not a Kubernetes quantity; use a size such as "10Gi".`);
            } else if (bytes < minimumSize.value) {
                report(`${statefulSet.label}: ${field} is ${JSON.stringify(requested)}, less than the minimum ${minimumSize.text}; ` +
                    `request at least ${minimumSize.text} (or lower minimumSize in the policy pack config).`);
            }
        }
    },
});
