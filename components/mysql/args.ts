import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ENGINES, ENGINE_PROFILES, Engine, isEngine } from "./engine";

/** Who may reach the database port (3306) besides the database pods themselves. */
export interface ClientAccessArgs {
    /**
     * Labels of the client pods allowed to connect to port 3306. Combined with
     * `namespaceLabels` when both are set (pods with these labels in those namespaces).
     * Defaults to every pod of the release's own namespace when neither is set.
     */
    podLabels?: Record<string, string>;
    /**
     * Labels of the namespaces whose pods may connect to port 3306.
     * Defaults to none (only the release's own namespace).
     */
    namespaceLabels?: Record<string, string>;
}

/** What happens to the data volumes (PVCs) when pods go away. */
export interface VolumeRetentionArgs {
    /** When the StatefulSet is deleted. Defaults to `Retain`. */
    whenDeleted?: "Retain" | "Delete";
    /** When the StatefulSet is scaled down. Defaults to `Retain`. */
    whenScaled?: "Retain" | "Delete";
}

/** Arguments of {@link ReplicatedMySql}. */
export interface ReplicatedMySqlArgs {
    /**
     * Namespace to deploy into; it must exist (the stacks create it).
     * Defaults to `default`.
     */
    namespace?: pulumi.Input<string>;
    /**
     * Number of pods: pod 0 is the primary, every other pod a read-only replica.
     * A whole number of at least 1. Defaults to 3.
     */
    replicas?: number;
    /** Database engine: `mysql` (MySQL 8.4 LTS) or `mariadb` (MariaDB 10.11 LTS). Defaults to `mysql`. */
    engine?: Engine;
    /**
     * StorageClass of each pod's data volume. Defaults to the cluster's default
     * StorageClass (the claim then names none).
     */
    storageClass?: pulumi.Input<string>;
    /** Size of each pod's data volume, as a Kubernetes quantity. Defaults to `10Gi`. */
    storageSize?: string;
    /** Server image (also used by the `init-config` init container). Defaults to the engine's (`mysql:8.4` or `mariadb:10.11`). */
    image?: string;
    /**
     * Image with the backup tools, used to clone from a peer and to serve clones.
     * Defaults to the engine's (`percona/percona-xtrabackup:8.4` or `mariadb:10.11`).
     */
    backupImage?: string;
    /**
     * Compute resources of the `mysql` container.
     * Defaults to requests `cpu: 500m, memory: 1Gi` and limit `memory: 2Gi`.
     */
    resources?: k8s.types.input.core.v1.ResourceRequirements;
    /**
     * Compute resources of the backup containers (`clone-from-peer`, `clone-server`).
     * Defaults to requests `cpu: 100m, memory: 128Mi` and limit `memory: 1Gi`.
     */
    backupResources?: k8s.types.input.core.v1.ResourceRequirements;
    /**
     * Password of the database `root` account, best given as a Pulumi secret.
     * At least 8 characters, without white space, quotes or backslashes.
     * Defaults to a generated 32-character password.
     */
    rootPassword?: pulumi.Input<string>;
    /**
     * Password of the `replicator` account the replicas replicate as, best given as a
     * Pulumi secret. 8 to 32 characters (32 is the most `CHANGE REPLICATION SOURCE TO`
     * accepts), without white space, quotes or backslashes.
     * Defaults to a generated 32-character password.
     */
    replicationPassword?: pulumi.Input<string>;
    /**
     * Password of the `backup` account new replicas clone through, best given as a Pulumi
     * secret. At least 8 characters, without white space, quotes or backslashes.
     * Defaults to a generated 32-character password.
     */
    backupPassword?: pulumi.Input<string>;
    /**
     * Who may connect to port 3306. Only the database pods may reach the clone port
     * (3307) whatever this says. Defaults to the pods of the release's namespace.
     */
    clientAccess?: ClientAccessArgs;
    /** Whether to create the NetworkPolicy that enforces `clientAccess`. Defaults to `true`. */
    networkPolicy?: boolean;
    /** What happens to data volumes on scale-down and deletion. Defaults to `Retain` for both. */
    volumeRetention?: VolumeRetentionArgs;
    /**
     * Seconds a pod gets to shut mysqld down cleanly before it is killed.
     * Defaults to 120.
     */
    terminationGracePeriodSeconds?: number;
    /** DNS domain of the cluster, used in the endpoint outputs. Defaults to `cluster.local`. */
    clusterDomain?: string;
}

/** The arguments with every default applied; what the manifest builders consume. */
export interface ResolvedArgs {
    name: string;
    namespace: pulumi.Input<string>;
    replicas: number;
    engine: Engine;
    storageClass?: pulumi.Input<string>;
    storageSize: string;
    image: string;
    backupImage: string;
    resources: k8s.types.input.core.v1.ResourceRequirements;
    backupResources: k8s.types.input.core.v1.ResourceRequirements;
    clientAccess: ClientAccessArgs;
    networkPolicy: boolean;
    volumeRetention: Required<VolumeRetentionArgs>;
    terminationGracePeriodSeconds: number;
    clusterDomain: string;
}

export const DEFAULT_REPLICAS = 3;
export const DEFAULT_STORAGE_SIZE = "10Gi";
export const DEFAULT_ENGINE: Engine = "mysql";
export const DEFAULT_RESOURCES = { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "2Gi" } };
export const DEFAULT_BACKUP_RESOURCES = { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "1Gi" } };
export const DEFAULT_GRACE_SECONDS = 120;

// A StatefulSet's pods get a `controller-revision-hash` label of name + 11 characters,
// and labels stop at 63: longer names make pods that cannot be created.
const MAX_NAME_LENGTH = 52;
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
// A size in bytes as Kubernetes writes quantities: digits, an optional fraction, an optional suffix.
const STORAGE_QUANTITY = /^(\d+(\.\d+)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const RETENTION = ["Retain", "Delete"];

/** Raised for arguments that cannot work; its message names every bad argument. */
export class InvalidArgsError extends Error {
    constructor(readonly problems: string[], subject: string) {
        super(`${subject}: ${problems.join("; ")}`);
        this.name = "InvalidArgsError";
    }
}

function describe(value: unknown): string {
    return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** True when `size` is a positive Kubernetes quantity usable as a volume size. */
export function isStorageQuantity(size: unknown): size is string {
    return typeof size === "string" && STORAGE_QUANTITY.test(size) && parseFloat(size) > 0;
}

/** The component's password args; each one not given is generated. */
export const PASSWORD_ARGS = ["rootPassword", "replicationPassword", "backupPassword"] as const;
export type PasswordArg = (typeof PASSWORD_ARGS)[number];

/** Length of a generated password (also the longest replication password MySQL and MariaDB accept). */
export const GENERATED_PASSWORD_LENGTH = 32;
const MIN_PASSWORD_LENGTH = 8;
// The pod scripts put passwords into SQL strings and client option files.
const PASSWORD_FORBIDDEN = /[\s'"\\`]/;

/** What a password given for `arg` may be, in words. */
export function passwordRule(arg: PasswordArg): string {
    const length =
        arg === "replicationPassword"
            ? `${MIN_PASSWORD_LENGTH} to ${GENERATED_PASSWORD_LENGTH} characters`
            : `at least ${MIN_PASSWORD_LENGTH} characters`;
    return `${length}, without white space, quotes or backslashes`;
}

/** Why a known password for `arg` is refused, or undefined when it is acceptable. */
export function passwordProblem(arg: PasswordArg, password: string): string | undefined {
    if (password.length < MIN_PASSWORD_LENGTH) {
        return `${arg} must be at least ${MIN_PASSWORD_LENGTH} characters long`;
    }
    // MySQL and MariaDB refuse a longer one with ER_CHANGE_SOURCE_PASSWORD_LENGTH (3056).
    if (arg === "replicationPassword" && password.length > GENERATED_PASSWORD_LENGTH) {
        return `${arg} must be at most ${GENERATED_PASSWORD_LENGTH} characters long (the most a replica's CHANGE REPLICATION SOURCE TO accepts)`;
    }
    if (PASSWORD_FORBIDDEN.test(password)) {
        return `${arg} must not contain white space, quotes or backslashes`;
    }
    return undefined;
}

function imageProblem(arg: string, image: unknown): string | undefined {
    if (typeof image !== "string" || image.trim() === "") {
        return `${arg} must be a non-empty image reference (got ${describe(image)})`;
    }
    const lastPart = image.split("/").pop() ?? "";
    if (!image.includes("@") && (!lastPart.includes(":") || lastPart.endsWith(":latest"))) {
        return `${arg} must name a tag other than latest, or a digest (got ${describe(image)})`;
    }
    return undefined;
}

/**
 * Checks the arguments and applies the defaults. Throws one {@link InvalidArgsError}
 * naming every bad argument and what is allowed, before anything is registered.
 */
export function resolveArgs(name: string, args: ReplicatedMySqlArgs = {}): ResolvedArgs {
    const problems: string[] = [];
    if (!DNS_LABEL.test(name) || name.length > MAX_NAME_LENGTH) {
        problems.push(
            `name must be a DNS label of at most ${MAX_NAME_LENGTH} characters ` +
                `(lower-case letters, digits and '-', starting with a letter) (got ${describe(name)})`,
        );
    }
    const replicas = args.replicas ?? DEFAULT_REPLICAS;
    if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 1) {
        problems.push(`replicas must be a whole number of at least 1 (got ${describe(replicas)})`);
    }
    const engine = args.engine ?? DEFAULT_ENGINE;
    if (!isEngine(engine)) {
        problems.push(`engine must be one of ${ENGINES.map((e) => `"${e}"`).join(", ")} (got ${describe(engine)})`);
    }
    const storageSize = args.storageSize ?? DEFAULT_STORAGE_SIZE;
    if (!isStorageQuantity(storageSize)) {
        problems.push(
            `storageSize must be a positive Kubernetes quantity such as "10Gi" or "500Mi" (got ${describe(storageSize)})`,
        );
    }
    const profile = isEngine(engine) ? ENGINE_PROFILES[engine] : undefined;
    const image = args.image ?? profile?.serverImage;
    const backupImage = args.backupImage ?? profile?.backupImage;
    if (profile) {
        for (const problem of [imageProblem("image", image), imageProblem("backupImage", backupImage)]) {
            if (problem) problems.push(problem);
        }
    }
    for (const arg of PASSWORD_ARGS) {
        // An Output (a secret from config) is only known later; the component checks it then.
        const password = args[arg];
        if (typeof password === "string") {
            const problem = passwordProblem(arg, password);
            if (problem) problems.push(`${problem} (got a ${password.length}-character value)`);
        }
    }
    const retention = { whenDeleted: "Retain", whenScaled: "Retain", ...args.volumeRetention };
    for (const [key, value] of Object.entries(retention)) {
        if (!RETENTION.includes(value as string)) {
            problems.push(`volumeRetention.${key} must be "Retain" or "Delete" (got ${describe(value)})`);
        }
    }
    const grace = args.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
    if (!Number.isInteger(grace) || grace < 10) {
        problems.push(`terminationGracePeriodSeconds must be a whole number of at least 10 (got ${describe(grace)})`);
    }
    const clusterDomain = args.clusterDomain ?? "cluster.local";
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(clusterDomain)) {
        problems.push(`clusterDomain must be a DNS domain such as "cluster.local" (got ${describe(clusterDomain)})`);
    }
    if (problems.length > 0) {
        throw new InvalidArgsError(problems, `ReplicatedMySql "${name}" has invalid args`);
    }
    return {
        name,
        namespace: args.namespace ?? "default",
        replicas,
        engine: engine as Engine,
        storageClass: args.storageClass,
        storageSize,
        image: image as string,
        backupImage: backupImage as string,
        resources: args.resources ?? DEFAULT_RESOURCES,
        backupResources: args.backupResources ?? DEFAULT_BACKUP_RESOURCES,
        clientAccess: args.clientAccess ?? {},
        networkPolicy: args.networkPolicy ?? true,
        volumeRetention: retention as Required<VolumeRetentionArgs>,
        terminationGracePeriodSeconds: grace,
        clusterDomain,
    };
}
