import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { StackConfig } from "../stack/config";
import { existingClusterProvider } from "./existing";
import { ClusterTarget, DATABASE_CLASS_DEFAULTS } from "./target";

export const LINSTOR_PROVISIONER = "linstor.csi.linbit.com";

/** Name of the class the stack creates: one replica per volume gives `…-r1`. */
export function linstorClassName(placementCount: number): string {
    return `linstor-csi-lvm-thin-r${placementCount}`;
}

/**
 * An existing cluster with the LINSTOR CSI driver. Creates the StorageClass from the
 * pool settings, unless `storageClass` names an existing class.
 */
export function linstorTarget(config: StackConfig): ClusterTarget {
    const provider = existingClusterProvider("linstor", config);
    if (config.storageClass !== undefined) {
        return { provider, storageClass: pulumi.output(config.storageClass), extraOutputs: {} };
    }
    const name = linstorClassName(config.linstor.placementCount);
    const storageClass = new k8s.storage.v1.StorageClass(
        name,
        {
            metadata: { name },
            provisioner: LINSTOR_PROVISIONER,
            ...DATABASE_CLASS_DEFAULTS,
            parameters: {
                "linstor.csi.linbit.com/storagePool": config.linstor.storagePool as string,
                "linstor.csi.linbit.com/placementCount": String(config.linstor.placementCount),
                "csi.storage.k8s.io/fstype": "ext4",
            },
        },
        { provider },
    );
    return { provider, storageClass: storageClass.metadata.name, extraOutputs: {} };
}
