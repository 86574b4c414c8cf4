import { PolicyConfig } from "../lib/config";
import { resourceTypePolicy } from "../lib/define";
import { objectName } from "../lib/statefulset";
import { isUnknown } from "../lib/values";

const name = "storage-class-binding";

export const storageClassType = "kubernetes:storage.k8s.io/v1:StorageClass";

/**
 * With Immediate binding a zonal volume (EBS, a LINSTOR resource on some nodes) is provisioned
 * before the scheduler picks a node, and the pod can end up unschedulable beside its own volume;
 * without expansion a full data volume can only be replaced, not grown.
 */
export const storageClassBinding = resourceTypePolicy({
    name,
    type: storageClassType,
    description: "A StorageClass the stack creates binds volumes when the first pod is scheduled and allows volume expansion.",
    enforcementLevel: "mandatory",
    severity: "high",
    url: "https://kubernetes.io/docs/concepts/storage/storage-classes/#volume-binding-mode",
    remediationSteps: "Set volumeBindingMode: WaitForFirstConsumer and allowVolumeExpansion: true on the StorageClass.",
    config: new PolicyConfig(name, {}),
    validate(props, resourceName, _config, report) {
        const label = `StorageClass "${objectName(props, resourceName)}"`;
        const binding = props.volumeBindingMode;
        if (binding === undefined || binding === null) {
            report(`${label}: volumeBindingMode is not set (Kubernetes defaults to Immediate), so a zonal volume can be provisioned where the pod cannot run; ` +
                `set volumeBindingMode: WaitForFirstConsumer.`);
        } else if (!isUnknown(binding) && binding !== "WaitForFirstConsumer") {
            report(`${label}: volumeBindingMode is ${JSON.stringify(binding)}, so a zonal volume can be provisioned where the pod cannot run; ` +
                `set volumeBindingMode: WaitForFirstConsumer.`);
        }
        const expansion = props.allowVolumeExpansion;
        if (!isUnknown(expansion) && expansion !== true) {
            report(`${label}: allowVolumeExpansion is ${expansion === undefined || expansion === null ? "not set" : JSON.stringify(expansion)}, ` +
                `so a full data volume cannot be grown in place; set allowVolumeExpansion: true.`);
        }
    },
});
