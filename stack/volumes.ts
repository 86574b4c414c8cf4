import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { storageBytes } from "../components/mysql";
import { PROJECT, StackConfig } from "./config";

/** What the data volumes were deployed with last time, from the stack's own outputs. */
export interface DeployedVolumes {
    storageSize?: string;
    storageClass?: string;
    /** The engine whose datadirs the volumes hold (absent for stacks deployed before it was exported). */
    engine?: string;
    /** The namespace the data claims live in. */
    namespace?: string;
}

/** The StorageClass a config gives the data volumes, and whether the stack creates it. */
export interface StorageClassChoice {
    name: string;
    created: boolean;
}

/**
 * Reads this stack's outputs from its last deployment (nothing before the first). A program
 * sees only the config it is given, not what it deployed before: without this it could not
 * tell a shrink from a first deployment. A read, it changes nothing.
 */
export async function deployedVolumes(): Promise<DeployedVolumes> {
    const self = new pulumi.StackReference("last-deployment", {
        name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
    });
    const [storageSize, storageClass, engine, namespace] = await Promise.all([
        self.getOutputValue("storageSize"),
        self.getOutputValue("storageClass"),
        self.getOutputValue("engine"),
        self.getOutputValue("namespace"),
    ]);
    return { storageSize, storageClass, engine, namespace };
}

function refuse(problem: string): never {
    throw new pulumi.RunError(`Invalid stack config: ${problem}`);
}

/**
 * Refuses a change that would leave the data behind: another engine (MariaDB cannot start
 * on a MySQL datadir, nor the reverse) or another namespace (the claims stay where they
 * are, and the new namespace gets a new, empty database). Needs nothing registered.
 */
export function checkDataStaysUsable(config: StackConfig, deployed: DeployedVolumes): void {
    if (deployed.engine !== undefined && deployed.engine !== config.engine) {
        refuse(
            `${PROJECT}:engine is "${config.engine}"; allowed: "${deployed.engine}", since the data volumes hold ` +
                `${deployed.engine} datadirs, which the other engine cannot start on (to switch engines, dump the data ` +
                "and load it into a new stack)",
        );
    }
    if (deployed.namespace !== undefined && deployed.namespace !== config.namespace) {
        refuse(
            `${PROJECT}:namespace is "${config.namespace}"; allowed: "${deployed.namespace}", since the data claims ` +
                `live in namespace "${deployed.namespace}": a new namespace would get a new, empty database and leave ` +
                "the data behind",
        );
    }
}

/**
 * Refuses a volume change Kubernetes cannot make in place: another StorageClass (a claim's
 * class is immutable) or a smaller size (a volume never shrinks). Needs nothing registered.
 * Returns whether the volumes grow.
 */
export function checkVolumeChange(config: StackConfig, storageClass: StorageClassChoice, deployed: DeployedVolumes): boolean {
    if (deployed.storageClass !== undefined && deployed.storageClass !== storageClass.name) {
        refuse(
            `the data volumes' StorageClass would change from "${deployed.storageClass}" to "${storageClass.name}" ` +
                `(set by ${PROJECT}:storageClass, or on eks ebsVolumeType, on linstor linstorPlacementCount); ` +
                `allowed: "${deployed.storageClass}", since a claim cannot move to another class in place`,
        );
    }
    const before = storageBytes(deployed.storageSize);
    const after = storageBytes(config.storageSize) as number;
    if (before !== undefined && after < before) {
        refuse(
            `${PROJECT}:storageSize is "${config.storageSize}"; allowed: "${deployed.storageSize}" or more, ` +
                `since the data volumes already have ${deployed.storageSize} and Kubernetes cannot shrink a volume`,
        );
    }
    return before !== undefined && after > before;
}

/**
 * Refuses growing volumes on an existing StorageClass that does not allow expansion: the
 * API server would refuse each claim, half-way through the update. A class the stack
 * creates allows it; an existing one is read (a read changes nothing) only when growing.
 */
export async function checkExpansionAllowed(
    config: StackConfig,
    storageClass: StorageClassChoice,
    deployed: DeployedVolumes,
    provider: k8s.Provider,
): Promise<void> {
    if (storageClass.created) {
        return;
    }
    const live = k8s.storage.v1.StorageClass.get("expanded-storage-class", storageClass.name, { provider });
    // The SDK's own resolution of an Output (what StackReference.getOutputValue uses): unlike
    // apply, it also settles when preview leaves a value unknown, so the program cannot hang.
    const allowVolumeExpansion = await (live.allowVolumeExpansion as unknown as { promise(): Promise<boolean | undefined> }).promise();
    if (allowVolumeExpansion !== true) {
        refuse(
            `${PROJECT}:storageSize is "${config.storageSize}", larger than the ${deployed.storageSize} of the data ` +
                `volumes, but StorageClass "${storageClass.name}" does not allow volume expansion ` +
                `(allowVolumeExpansion is not true); allowed: "${deployed.storageSize}", or first let the class ` +
                `expand volumes (kubectl patch storageclass ${storageClass.name} -p '{"allowVolumeExpansion":true}', ` +
                "if its provisioner can grow a volume)",
        );
    }
}

/**
 * Reads the StorageClass the data volumes use, through the target's provider, and waits for
 * the read: call it for a class the stack does not create (minikube; linstor with
 * `storageClass`), after the provider and before anything else is registered. A class the
 * cluster lacks fails the read, and the engine stops the run there, before any change, in
 * `pulumi preview` and `pulumi up --skip-preview` alike, naming the key (the read's name) and
 * the class: `kubernetes:storage.k8s.io/v1:StorageClass (replicated-mysql:storageClass): error:
 * resource 'fast-ssd' does not exist`. Without it every data claim stays Pending until `up`'s
 * wait for the StatefulSet runs out. A read changes nothing on the cluster (the state records
 * it as a read). Credentials that may not read cluster-scoped StorageClasses fail it as well
 * ("forbidden"), which is what the `checkStorageClass: false` opt-out is for.
 */
export async function readStorageClass(storageClass: StorageClassChoice, provider: k8s.Provider): Promise<void> {
    const live = k8s.storage.v1.StorageClass.get(`${PROJECT}:storageClass`, storageClass.name, { provider });
    // The SDK's own resolution of an Output, as in checkExpansionAllowed: it settles in preview too.
    await (live.metadata as unknown as { promise(): Promise<unknown> }).promise();
}
