import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../stack/config";
import { existingClusterProvider } from "./existing";
import { ClusterTarget } from "./target";

/** minikube's built-in hostPath provisioner class. */
export const MINIKUBE_STORAGE_CLASS = "standard";

/** An existing minikube (or any existing) cluster: nothing is provisioned. */
export function minikubeTarget(config: StackConfig): ClusterTarget {
    return {
        provider: existingClusterProvider("minikube", config),
        storageClass: pulumi.output(config.storageClass ?? MINIKUBE_STORAGE_CLASS),
        extraOutputs: {},
    };
}
