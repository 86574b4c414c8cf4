import { StackConfig } from "../stack/config";
import { eksTarget } from "./eks";
import { linstorTarget } from "./linstor";
import { minikubeTarget } from "./minikube";
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
