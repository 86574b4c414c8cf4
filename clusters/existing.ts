import * as k8s from "@pulumi/kubernetes";
import { ExistingClusterConfig } from "../stack/config";

/**
 * A provider for a cluster that already exists. With no `kubeconfig` set, the provider
 * reads the ambient kubeconfig (KUBECONFIG or ~/.kube/config), as kubectl would.
 */
export function existingClusterProvider(name: string, config: ExistingClusterConfig): k8s.Provider {
    return new k8s.Provider(name, {
        ...(config.kubeconfig !== undefined ? { kubeconfig: config.kubeconfig } : {}),
        ...(config.context !== undefined ? { context: config.context } : {}),
    });
}
