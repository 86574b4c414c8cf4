import { PolicyConfig, boolean } from "../lib/config";
import { databaseStatefulSetPolicy } from "../lib/define";
import { at, isUnknown } from "../lib/values";

const name = "mysql-claim-retention";

const config = new PolicyConfig(name, {
    allowDeleteOnScaleDown: boolean("Allow whenScaled: Delete (scaling down deletes the removed replicas' volumes).", false),
    allowDeleteOnStatefulSetDeletion: boolean(
        "Allow whenDeleted: Delete (deleting or replacing the StatefulSet deletes every data volume, the primary's included).", false),
});

/**
 * Both deletions are checked. whenScaled: Delete throws away a replica's copy on every scale-down,
 * so scaling back up clones from scratch. whenDeleted: Delete is worse under Pulumi: changing
 * volumeClaimTemplates, serviceName, selector or podManagementPolicy replaces the StatefulSet, and
 * the replacement would delete the primary's volume with it.
 */
export const mysqlClaimRetention = databaseStatefulSetPolicy({
    name,
    description: "A database StatefulSet's persistentVolumeClaimRetentionPolicy keeps the data volumes on scale-down and on deletion.",
    enforcementLevel: "mandatory",
    severity: "critical",
    url: "https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#persistentvolumeclaim-retention",
    remediationSteps: "Set spec.persistentVolumeClaimRetentionPolicy to {whenDeleted: Retain, whenScaled: Retain} or leave it unset (Retain is the default).",
    config,
    validate(statefulSet, { allowDeleteOnScaleDown, allowDeleteOnStatefulSetDeletion }, report) {
        const field = "spec.persistentVolumeClaimRetentionPolicy";
        const whenScaled = at(statefulSet.props, "spec", "persistentVolumeClaimRetentionPolicy", "whenScaled");
        const whenDeleted = at(statefulSet.props, "spec", "persistentVolumeClaimRetentionPolicy", "whenDeleted");
        if (!isUnknown(whenScaled) && whenScaled === "Delete" && !allowDeleteOnScaleDown) {
            report(`${statefulSet.label}: ${field}.whenScaled is "Delete", so scaling down deletes the removed replicas' data volumes; ` +
                `set it to "Retain" (or set allowDeleteOnScaleDown: true in the policy pack config).`);
        }
        if (!isUnknown(whenDeleted) && whenDeleted === "Delete" && !allowDeleteOnStatefulSetDeletion) {
            report(`${statefulSet.label}: ${field}.whenDeleted is "Delete", so deleting or replacing the StatefulSet deletes every data volume; ` +
                `set it to "Retain" (or set allowDeleteOnStatefulSetDeletion: true in the policy pack config).`);
        }
    },
});
