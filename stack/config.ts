import * as pulumi from "@pulumi/pulumi";
import {
    DEFAULT_REPLICAS,
    DEFAULT_STORAGE_SIZE,
    ENGINES,
    Engine,
    PASSWORD_ARGS,
    PasswordArg,
    isStorageQuantity,
    passwordProblem,
    passwordRule,
} from "../components/mysql";

/** Config namespace of this project (the `name` in Pulumi.yaml). */
export const PROJECT = "replicated-mysql";

/** Where the database runs. */
export const CLUSTERS = ["minikube", "linstor", "eks"] as const;
export type ClusterKind = (typeof CLUSTERS)[number];

export const EBS_VOLUME_TYPES = ["gp2", "gp3"] as const;
export type EbsVolumeType = (typeof EBS_VOLUME_TYPES)[number];

/** Defaults, mirrored by the `config:` block of Pulumi.yaml (a test keeps them equal). */
export const CONFIG_DEFAULTS = {
    cluster: "minikube" as ClusterKind,
    namespace: "mysql",
    createNamespace: true,
    replicas: DEFAULT_REPLICAS,
    engine: "mysql" as Engine,
    storageSize: DEFAULT_STORAGE_SIZE,
    linstorPlacementCount: 1,
    ebsVolumeType: "gp2" as EbsVolumeType,
    eksInstanceType: "t3.large",
    eksNodeCount: 3,
    eksKubernetesVersion: "1.34",
};

/**
 * Keys without a default. Pulumi.yaml cannot declare them: the CLI refuses to run a stack
 * that has no value for a declared key without a default.
 */
export const OPTIONAL_CONFIG_KEYS = [
    "storageClass",
    ...PASSWORD_ARGS,
    "kubeconfig",
    "context",
    "linstorStoragePool",
];

/** Settings for a cluster that already exists (minikube, LINSTOR). */
export interface ExistingClusterConfig {
    /** Path to, or contents of, a kubeconfig; the ambient one when absent. */
    kubeconfig?: string;
    /** Context of that kubeconfig; its current context when absent. */
    context?: string;
}

/** The stack's configuration, checked and with defaults applied. */
export interface StackConfig extends ExistingClusterConfig {
    cluster: ClusterKind;
    namespace: string;
    createNamespace: boolean;
    replicas: number;
    engine: Engine;
    /** An existing StorageClass to use instead of the target's own default. */
    storageClass?: string;
    storageSize: string;
    /** The passwords set with `pulumi config set --secret`; each one absent is generated. */
    passwords: Partial<Record<PasswordArg, pulumi.Output<string>>>;
    linstor: { storagePool?: string; placementCount: number };
    eks: {
        region?: string;
        ebsVolumeType: EbsVolumeType;
        instanceType: string;
        nodeCount: number;
        kubernetesVersion: string;
    };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Reads and checks the stack's config. Throws one error naming each bad key, its value
 * and what is allowed, before the program registers any resource.
 */
export function readStackConfig(): StackConfig {
    const config = new pulumi.Config(PROJECT);
    const problems: string[] = [];
    const bad = (key: string, value: string, allowed: string) =>
        problems.push(`${PROJECT}:${key} is ${JSON.stringify(value)}; allowed: ${allowed}`);

    const oneOf = <T extends string>(key: string, allowed: readonly T[], fallback: T): T => {
        const value = config.get(key) ?? fallback;
        if (!(allowed as readonly string[]).includes(value)) bad(key, value, allowed.join(", "));
        return value as T;
    };
    const wholeNumber = (key: string, fallback: number, min: number): number => {
        const raw = config.get(key);
        if (raw === undefined) return fallback;
        if (!/^\d+$/.test(raw.trim()) || Number(raw) < min) {
            bad(key, raw, `a whole number of at least ${min}`);
        }
        return Number(raw);
    };
    const flag = (key: string, fallback: boolean): boolean => {
        const raw = config.get(key);
        if (raw === undefined) return fallback;
        if (raw !== "true" && raw !== "false") bad(key, raw, "true or false");
        return raw === "true";
    };

    const cluster = oneOf("cluster", CLUSTERS, CONFIG_DEFAULTS.cluster);
    const engine = oneOf("engine", ENGINES, CONFIG_DEFAULTS.engine);
    const replicas = wholeNumber("replicas", CONFIG_DEFAULTS.replicas, 1);
    const createNamespace = flag("createNamespace", CONFIG_DEFAULTS.createNamespace);
    const namespace = config.get("namespace") ?? CONFIG_DEFAULTS.namespace;
    if (!DNS_LABEL.test(namespace) || namespace.length > 63) {
        bad("namespace", namespace, "a DNS label (lower-case letters, digits and '-', at most 63 characters)");
    }
    const storageSize = config.get("storageSize") ?? CONFIG_DEFAULTS.storageSize;
    if (!isStorageQuantity(storageSize)) {
        bad("storageSize", storageSize, 'a positive Kubernetes quantity such as "10Gi" or "500Mi"');
    }
    const storageClass = config.get("storageClass");
    if (storageClass !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(storageClass)) {
        bad("storageClass", storageClass, "the name of a StorageClass (lower-case letters, digits, '-' and '.')");
    }
    const linstor = {
        storagePool: config.get("linstorStoragePool"),
        placementCount: wholeNumber("linstorPlacementCount", CONFIG_DEFAULTS.linstorPlacementCount, 1),
    };
    if (cluster === "linstor" && storageClass === undefined && !linstor.storagePool) {
        problems.push(
            `${PROJECT}:linstorStoragePool is not set and neither is ${PROJECT}:storageClass; allowed: ` +
                "set linstorStoragePool (and optionally linstorPlacementCount) so the stack creates the " +
                "LINSTOR StorageClass, or set storageClass to an existing class",
        );
    }
    const eks = {
        region: new pulumi.Config("aws").get("region"),
        ebsVolumeType: oneOf("ebsVolumeType", EBS_VOLUME_TYPES, CONFIG_DEFAULTS.ebsVolumeType),
        instanceType: config.get("eksInstanceType") ?? CONFIG_DEFAULTS.eksInstanceType,
        nodeCount: wholeNumber("eksNodeCount", CONFIG_DEFAULTS.eksNodeCount, 3),
        kubernetesVersion: config.get("eksKubernetesVersion") ?? CONFIG_DEFAULTS.eksKubernetesVersion,
    };
    if (cluster === "eks") {
        if (!eks.region) {
            problems.push("aws:region is not set; allowed: an AWS region such as us-west-2 (pulumi config set aws:region us-west-2)");
        }
        if (!/^1\.\d+$/.test(eks.kubernetesVersion)) {
            bad("eksKubernetesVersion", eks.kubernetesVersion, 'a Kubernetes minor version such as "1.34"');
        }
    }
    // Checked here on the raw value: once wrapped in a secret Output it could only be
    // refused after resources are registered.
    const passwords: StackConfig["passwords"] = {};
    for (const key of PASSWORD_ARGS) {
        const raw = config.get(key);
        if (raw === undefined) continue;
        if (passwordProblem(key, raw)) {
            // A password is never printed, even a bad one: its length says enough.
            problems.push(`${PROJECT}:${key} is a ${raw.length}-character secret; allowed: ${passwordRule(key)}`);
        }
        passwords[key] = pulumi.secret(raw);
    }
    if (problems.length > 0) {
        throw new Error(`Invalid stack config: ${problems.join("; ")}`);
    }
    return {
        cluster,
        namespace,
        createNamespace,
        replicas,
        engine,
        storageClass,
        storageSize,
        passwords,
        kubeconfig: config.get("kubeconfig"),
        context: config.get("context"),
        linstor,
        eks,
    };
}
