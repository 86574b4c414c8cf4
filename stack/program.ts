import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { DEFAULT_RESOURCES, PASSWORD_ARGS, ReplicatedMySql } from "../components/mysql";
import { clusterTarget, storageClassChoice } from "../clusters";
import { readStackConfig } from "./config";
import { checkDataStaysUsable, checkExpansionAllowed, checkVolumeChange, deployedVolumes, readStorageClass } from "./volumes";

/**
 * The whole program: read the stack's config, provision or target its cluster, deploy
 * the database, and return the stack outputs.
 */
export async function main(): Promise<Record<string, pulumi.Output<unknown>>> {
    const config = readStackConfig();
    // Volume changes are checked against the last deployment before anything is registered
    // that could change (the growth check below reads the class through the provider).
    const storageClass = storageClassChoice(config);
    const deployed = await deployedVolumes();
    checkDataStaysUsable(config, deployed);
    const grows = checkVolumeChange(config, storageClass, deployed);

    const target = clusterTarget(config);
    // A class the stack does not create must exist, or the claims wait for ever: read through
    // the provider before anything that could change is registered (eks makes its cluster and
    // its class; checkStorageClass false skips the read, for credentials that may not make it).
    if (config.cluster !== "eks" && !storageClass.created && config.checkStorageClass) {
        await readStorageClass(storageClass, target.provider);
    }
    if (grows) {
        await checkExpansionAllowed(config, storageClass, deployed, target.provider);
    }
    // A program that creates the random provider needs its plugin even if it generates
    // nothing: create it only when some password is not set in config.
    const generatesPasswords = PASSWORD_ARGS.some((key) => config.passwords[key] === undefined);
    const providers = generatesPasswords ? [target.provider, new random.Provider("random")] : [target.provider];

    // Deleting a namespace deletes the claims in it, and with them the data: `pulumi destroy`
    // leaves the namespace (and so the claims) in place.
    const namespace = config.createNamespace
        ? new k8s.core.v1.Namespace(
              config.namespace,
              { metadata: { name: config.namespace } },
              { provider: target.provider, retainOnDelete: true },
          ).metadata.name
        : pulumi.output(config.namespace);

    const db = new ReplicatedMySql(
        "mysql",
        {
            namespace,
            replicas: config.replicas,
            engine: config.engine,
            storageClass: target.storageClass,
            storageSize: config.storageSize,
            readyTimeoutSeconds: config.readyTimeoutSeconds,
            binlogRetentionSeconds: config.binlogRetentionSeconds,
            readinessCatchUpSeconds: config.readinessCatchUpSeconds,
            resources: config.cpuRequest
                ? { ...DEFAULT_RESOURCES, requests: { ...DEFAULT_RESOURCES.requests, cpu: config.cpuRequest } }
                : undefined,
            image: config.images.image,
            backupImage: config.images.backupImage,
            ...config.passwords,
            metrics: { enabled: config.metrics, image: config.images.metricsImage },
        },
        { providers },
    );

    return {
        primaryEndpoint: db.primaryEndpoint,
        readEndpoint: db.readEndpoint,
        replicaEndpoints: db.replicaEndpoints,
        namespace: db.namespace,
        // Read back by the next run (stack/volumes.ts): the volumes hold this engine's data.
        engine: pulumi.output(config.engine),
        storageClass: target.storageClass,
        // Read back by the next run (stack/volumes.ts) to refuse a shrink before any change.
        storageSize: pulumi.output(config.storageSize),
        passwordSecret: db.passwordSecret,
        rootPassword: db.rootPassword,
        ...target.extraOutputs,
    };
}
