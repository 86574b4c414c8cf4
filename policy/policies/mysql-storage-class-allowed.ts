import { PolicyConfig, stringList } from "../lib/config";
import { databaseStatefulSetPolicy } from "../lib/define";
import { at, isUnknown } from "../lib/values";

const name = "mysql-storage-class-allowed";

/**
 * The classes the shipped stacks use: minikube, LINSTOR, EKS (gp2 and gp3), and the local node
 * that `npm run local:up` starts (Pulumi.local.yaml), so that one command,
 * `pulumi up --policy-pack policy`, serves every stack file.
 */
export const shippedStorageClasses = ["standard", "linstor-csi-lvm-thin-r1", "mysql-gp2", "mysql-gp3", "local-node"];

const config = new PolicyConfig(name, {
    allowedStorageClasses: stringList(
        "Storage classes a database volume claim may name. Defaults to the classes the shipped stacks use.",
        shippedStorageClasses,
    ),
});

/**
 * A claim without storageClassName takes whatever the cluster's default class is, or none at all
 * (new EKS clusters have no default), so where the data lands is decided by accident.
 */
export const mysqlStorageClassAllowed = databaseStatefulSetPolicy({
    name,
    description: "Each database volume claim names a storage class from the allow-list.",
    enforcementLevel: "mandatory",
    severity: "high",
    url: "https://kubernetes.io/docs/concepts/storage/persistent-volumes/#class-1",
    remediationSteps: "Set spec.storageClassName of every volumeClaimTemplate to an allowed class, or add the class to allowedStorageClasses.",
    config,
    validate(statefulSet, { allowedStorageClasses }, report) {
        const claims = statefulSet.claimTemplates();
        if (isUnknown(claims)) {
            return;
        }
        const allowed = allowedStorageClasses.join(", ");
        for (const { claim, path } of claims) {
            const storageClass = at(claim, "spec", "storageClassName");
            if (isUnknown(storageClass)) {
                continue;
            }
            if (storageClass === undefined || storageClass === null) {
                report(`${statefulSet.label}: ${path}.spec.storageClassName is not set, so the claim gets the cluster's default class or none; ` +
                    `set it to one of: ${allowed}.`);
            } else if (typeof storageClass !== "string" || !allowedStorageClasses.includes(storageClass)) {
                report(`${statefulSet.label}: ${path}.spec.storageClassName is ${JSON.stringify(storageClass)}, which is not an allowed storage class; ` +
                    `use one of: ${allowed} (or add it to allowedStorageClasses in the policy pack config).`);
            }
        }
    },
});
