import { StackConfig } from "../stack/config";
import { ebsClassName, eksTarget } from "./eks";
import { linstorClassName, linstorTarget } from "./linstor";
import { MINIKUBE_STORAGE_CLASS, minikubeTarget } from "./minikube";
import { ClusterTarget } from "./target";

export { ClusterTarget } from "./target";

/** The cluster target the stack's `cluster` key names. */
export function clusterTarget(config: StackConfig): ClusterTarget {
    switch (config.cluster) {
        case "minikube":
            return minikubeTarget(config);
        case "linstor":
            return linstorTarget(config);
        case "eks":
            return eksTarget(config);
    }
}

/**
 * The StorageClass the data volumes use under `config`, and whether the stack creates it
 * (then with `allowVolumeExpansion`); known before anything is registered, so that a
 * volume change can be checked first.
 */
export function storageClassChoice(config: StackConfig): { name: string; created: boolean } {
    if (config.storageClass !== undefined) {
        return { name: config.storageClass, created: false };
    }
    switch (config.cluster) {
        case "minikube":
            return { name: MINIKUBE_STORAGE_CLASS, created: false };
        case "linstor":
            return { name: linstorClassName(config.linstor.placementCount), created: true };
        case "eks":
            return { name: ebsClassName(config.eks.ebsVolumeType), created: true };
    }
}
