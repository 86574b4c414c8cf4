import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/** What every cluster target hands the database: where to deploy and on what storage. */
export interface ClusterTarget {
    /** The explicit Kubernetes provider every Kubernetes resource must use. */
    provider: k8s.Provider;
    /** StorageClass for the data volumes; resolves once the class exists. */
    storageClass: pulumi.Output<string>;
    /** Outputs only some targets have (EKS: `kubeconfig`, `clusterName`). */
    extraOutputs: Record<string, pulumi.Output<unknown>>;
}

/** Settings common to every StorageClass a stack creates for the database. */
export const DATABASE_CLASS_DEFAULTS = {
    // Bind where the pod lands: zonal or node-local volumes must follow the scheduler.
    volumeBindingMode: "WaitForFirstConsumer",
    allowVolumeExpansion: true,
    // Deleting a claim by mistake must not delete the data with it.
    reclaimPolicy: "Retain",
};
