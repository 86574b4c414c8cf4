import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ENGINES, ENGINE_PROFILES, Engine, isEngine } from "./engine";
import { DEFAULT_METRICS_RESOURCES, DEFAULT_REPLICA_LAG_ALERT_SECONDS, METRICS_IMAGE } from "./monitoring";

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

/** Metrics and alerts (README, "Monitoring"). */
export interface MetricsArgs {
    /**
     * Whether every pod runs a `metrics` container (mysqld-exporter on port 9104) and a
     * metrics Service is created. Defaults to `true`.
     */
    enabled?: boolean;
    /** Exporter image. Defaults to `prom/mysqld-exporter:v0.19.0`. */
    image?: string;
    /**
     * Compute resources of the `metrics` container.
     * Defaults to requests `cpu: 10m, memory: 32Mi` and limits `cpu: 200m, memory: 128Mi`.
     */
    resources?: k8s.types.input.core.v1.ResourceRequirements;
    /** Create a ServiceMonitor (needs the prometheus-operator's CRDs). Defaults to `false`. */
    serviceMonitor?: boolean;
    /** Create a PrometheusRule with the alert rules (needs the prometheus-operator's CRDs). Defaults to `false`. */
    prometheusRule?: boolean;
    /** Create a ConfigMap with the Grafana dashboard, labelled for Grafana's sidecar. Defaults to `false`. */
    dashboard?: boolean;
    /**
     * Labels added to the ServiceMonitor and PrometheusRule, for a Prometheus that selects
     * them by label (kube-prometheus-stack: `release: <its release>`). Defaults to none.
     */
    selectorLabels?: Record<string, string>;
    /** Seconds behind the primary above which the replica-lag alert fires. A whole number ≥ 1. Defaults to 30. */
    replicaLagAlertSeconds?: number;
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
     * A whole number from 1 to 32. Defaults to 3.
     */
    replicas?: number;
    /** Database engine: `mysql` (MySQL 9.7 LTS) or `mariadb` (MariaDB 10.11 LTS). Defaults to `mysql`. */
    engine?: Engine;
    /**
     * StorageClass of each pod's data volume. Defaults to the cluster's default
     * StorageClass (the claim then names none).
     */
    storageClass?: pulumi.Input<string>;
    /**
     * Size of each pod's data volume, as a Kubernetes quantity from `1Gi` to `64Ti`.
     * Raising it expands every existing claim in place (the StorageClass must allow volume
     * expansion); Kubernetes cannot shrink a volume. Defaults to `10Gi`.
     */
    storageSize?: string;
    /**
     * How long `pulumi up` waits for the StatefulSet to have every pod Ready on the current
     * revision, in seconds (the `pulumi.com/timeoutSeconds` annotation). When the wait runs
     * out, `up` reports a failure but the pods go on starting and cloning. A whole number
     * from 60 to 2592000 (30 days). Defaults to {@link defaultReadyTimeoutSeconds}: 10 minutes plus, for every replica, the
     * time to clone a full data volume at 50 MiB/s.
     */
    readyTimeoutSeconds?: number;
    /**
     * Server image. With `mysql` every container uses it (replicas clone with the server's
     * CLONE plugin); with `mariadb` the `init-config` init container and `mysql` container do.
     * Defaults to the engine's (`mysql:9.7` or `mariadb:10.11`).
     */
    image?: string;
    /**
     * Engine `mariadb` only: image with the backup tools, used to clone from a peer and to
     * serve clones. Defaults to `mariadb:10.11`. Refused with `mysql`, which needs none.
     */
    backupImage?: string;
    /**
     * Compute resources of the `mysql` container.
     * Defaults to requests `cpu: 500m, memory: 1Gi` and limit `memory: 2Gi`.
     */
    resources?: k8s.types.input.core.v1.ResourceRequirements;
    /**
     * Compute resources of the cloning containers (`clone-from-peer`, and `clone-server`
     * with `mariadb`). Defaults to requests `cpu: 100m, memory: 128Mi` and limit `memory: 1Gi`.
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
     * Password of the `backup` account new replicas clone through (MySQL: the CLONE donor
     * account; MariaDB: the local backup account), best given as a Pulumi secret. At least
     * 8 characters, without white space, quotes or backslashes.
     * Defaults to a generated 32-character password.
     */
    backupPassword?: pulumi.Input<string>;
    /**
     * Password of the `metrics` account the exporter connects as, best given as a Pulumi
     * secret. At least 8 characters, without white space, quotes or backslashes.
     * Defaults to a generated 32-character password.
     */
    metricsPassword?: pulumi.Input<string>;
    /**
     * Who may connect to port 3306. With `mariadb`, only the database pods may reach the
     * backup stream port (3307) whatever this says. Defaults to the pods of the release's
     * namespace.
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
    /** Metrics container, metrics Service, and on request ServiceMonitor, alert rules and dashboard. Defaults: metrics on, the rest off. */
    metrics?: MetricsArgs;
    /**
     * How long every pod keeps its binary logs, in seconds (`binlog_expire_logs_seconds`,
     * the same on both engines). A replica that was away longer than this cannot catch up
     * from the primary and clones itself again from its peer. A whole number from 3600
     * (1 hour) to 8553600 (99 days, MariaDB's largest). Defaults to 604800 (7 days).
     */
    binlogRetentionSeconds?: number;
    /**
     * How long a replica's readiness probe waits for the replica to apply everything the
     * primary had committed when the probe asked it, in seconds. A replica further behind
     * than that (or one that cannot ask the primary) is not Ready, so `mysql-read` never
     * serves reads older than the probe's question. A whole number from 1 to 30.
     * Defaults to 2.
     */
    readinessCatchUpSeconds?: number;
}

/** The arguments with every default applied; what the manifest builders consume. */
export interface ResolvedArgs {
    name: string;
    namespace: pulumi.Input<string>;
    replicas: number;
    engine: Engine;
    storageClass?: pulumi.Input<string>;
    storageSize: string;
    readyTimeoutSeconds: number;
    image: string;
    /** Set for `backup-stream` engines only. */
    backupImage?: string;
    resources: k8s.types.input.core.v1.ResourceRequirements;
    backupResources: k8s.types.input.core.v1.ResourceRequirements;
    clientAccess: ClientAccessArgs;
    networkPolicy: boolean;
    volumeRetention: Required<VolumeRetentionArgs>;
    terminationGracePeriodSeconds: number;
    clusterDomain: string;
    metrics: Required<Omit<MetricsArgs, "resources">> & { resources: k8s.types.input.core.v1.ResourceRequirements };
    binlogRetentionSeconds: number;
    readinessCatchUpSeconds: number;
}

export const DEFAULT_REPLICAS = 3;
export const DEFAULT_STORAGE_SIZE = "10Gi";
export const DEFAULT_ENGINE: Engine = "mysql";
export const DEFAULT_RESOURCES = { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "2Gi" } };
export const DEFAULT_BACKUP_RESOURCES = { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "1Gi" } };
export const DEFAULT_GRACE_SECONDS = 120;
/** 7 days: a replica away for a week still catches up from the primary's binary log. */
export const DEFAULT_BINLOG_RETENTION_SECONDS = 7 * 24 * 3600;
/** Binary logs kept at least an hour: shorter makes every restart of a replica a full clone. */
export const MIN_BINLOG_RETENTION_SECONDS = 3600;
/** MariaDB 10.11's largest binlog_expire_logs_seconds (99 days); MySQL accepts more, the component takes the smaller. */
export const MAX_BINLOG_RETENTION_SECONDS = 8553600;
export const BINLOG_RETENTION_RULE =
    `a whole number of seconds from ${MIN_BINLOG_RETENTION_SECONDS} (1 hour) to ${MAX_BINLOG_RETENTION_SECONDS} (99 days)`;
/** A replica's readiness probe waits this long for it to reach the primary's position. */
export const DEFAULT_READINESS_CATCH_UP_SECONDS = 2;
/** The probe's timeout grows with the wait; past half a minute a probe no longer reflects "now". */
export const MAX_READINESS_CATCH_UP_SECONDS = 30;
export const READINESS_CATCH_UP_RULE = `a whole number of seconds from 1 to ${MAX_READINESS_CATCH_UP_SECONDS}`;

/** True when `seconds` is a binary log retention the component accepts. */
export function isBinlogRetention(seconds: unknown): seconds is number {
    return Number.isSafeInteger(seconds) && (seconds as number) >= MIN_BINLOG_RETENTION_SECONDS && (seconds as number) <= MAX_BINLOG_RETENTION_SECONDS;
}

/** True when `seconds` is a readiness catch-up bound the component accepts. */
export function isReadinessCatchUp(seconds: unknown): seconds is number {
    return Number.isSafeInteger(seconds) && (seconds as number) >= 1 && (seconds as number) <= MAX_READINESS_CATCH_UP_SECONDS;
}

/** At most this many pods: one primary sends its binary log to every replica itself. */
export const MAX_REPLICAS = 32;
/** Data volume bounds: MySQL's own files (redo log, undo, system tablespace) take ~250 MiB; 64 TiB is the largest EBS volume. */
export const MIN_STORAGE_SIZE = "1Gi";
export const MAX_STORAGE_SIZE = "64Ti";
/** The Kubernetes provider's own StatefulSet wait, kept as the floor for start-up, probes and crash recovery. */
export const BASE_READY_TIMEOUT_SECONDS = 600;
/** Clone rate assumed for the default wait: a conservative figure for network block storage (gp3's baseline is 125 MiB/s). */
export const ASSUMED_CLONE_BYTES_PER_SECOND = 50 * 2 ** 20;
/** 30 days: one clone of the largest volume at the assumed rate takes 15.5. */
export const MAX_READY_TIMEOUT_SECONDS = 30 * 24 * 3600;

// A StatefulSet's pods get a `controller-revision-hash` label of name + 11 characters,
// and labels stop at 63: longer names make pods that cannot be created.
const MAX_NAME_LENGTH = 52;
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
// A size in bytes as Kubernetes writes quantities: digits, an optional fraction, an optional suffix.
const STORAGE_QUANTITY = /^(\d+(\.\d+)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const RETENTION = ["Retain", "Delete"];

/**
 * Raised for arguments that cannot work; its message names every bad argument. A
 * `pulumi.RunError`, so `pulumi up` prints the message alone (no stack trace, no "unhandled
 * exception" wrapper: the Node.js SDK's run.ts).
 */
export class InvalidArgsError extends pulumi.RunError {
    constructor(readonly problems: string[], subject: string) {
        super(`${subject}: ${problems.join("; ")}`);
        this.name = "InvalidArgsError";
    }
}

function describe(value: unknown): string {
    return typeof value === "string" ? JSON.stringify(value) : String(value);
}

const QUANTITY_SUFFIX_BYTES: Record<string, number> = {
    "": 1,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
    k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

/** Bytes of a storage quantity such as "10Gi", rounded up as Kubernetes does; undefined when it is not one. */
export function storageBytes(size: unknown): number | undefined {
    const match = typeof size === "string" ? STORAGE_QUANTITY.exec(size) : null;
    return match ? Math.ceil(parseFloat(match[1]) * QUANTITY_SUFFIX_BYTES[match[3] ?? ""]) : undefined;
}

/** What a storage size may be, in words. */
export const STORAGE_SIZE_RULE =
    `a Kubernetes quantity from "${MIN_STORAGE_SIZE}" to "${MAX_STORAGE_SIZE}", such as "10Gi" or "500Gi"`;

/** True when `size` is a Kubernetes quantity within the data volume bounds. */
export function isStorageSize(size: unknown): size is string {
    const bytes = storageBytes(size);
    return (
        bytes !== undefined &&
        bytes >= (storageBytes(MIN_STORAGE_SIZE) as number) &&
        bytes <= (storageBytes(MAX_STORAGE_SIZE) as number)
    );
}

/**
 * How long `up` waits by default: the provider's 10 minutes, plus one full-volume clone at
 * {@link ASSUMED_CLONE_BYTES_PER_SECOND} for every replica, since one `up` may add them all
 * (and OrderedReady starts them one after another). 3 × 10Gi: 1010 s; 5 × 100Gi: 8792 s.
 */
export function defaultReadyTimeoutSeconds(replicas: number, storageSize: string): number {
    const cloneSeconds = Math.ceil((storageBytes(storageSize) ?? 0) / ASSUMED_CLONE_BYTES_PER_SECOND);
    return Math.min(BASE_READY_TIMEOUT_SECONDS + (replicas - 1) * cloneSeconds, MAX_READY_TIMEOUT_SECONDS);
}

/** What a wait may be, in words. */
export const READY_TIMEOUT_RULE = `a whole number of seconds from 60 to ${MAX_READY_TIMEOUT_SECONDS}`;

/** True when `replicas` is a pod count the component accepts. */
export function isReplicaCount(replicas: unknown): replicas is number {
    return Number.isSafeInteger(replicas) && (replicas as number) >= 1 && (replicas as number) <= MAX_REPLICAS;
}
export const REPLICAS_RULE = `a whole number from 1 to ${MAX_REPLICAS}`;

/** True when `seconds` is a wait the component accepts. */
export function isReadyTimeout(seconds: unknown): seconds is number {
    return Number.isSafeInteger(seconds) && (seconds as number) >= 60 && (seconds as number) <= MAX_READY_TIMEOUT_SECONDS;
}

/** The component's password args; each one not given is generated. */
export const PASSWORD_ARGS = ["rootPassword", "replicationPassword", "backupPassword", "metricsPassword"] as const;
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

/**
 * "a 5-character", "an 8-character", "an 11-character": a length as an English noun phrase,
 * with the article the spoken number takes (eight, eleven, eighteen, eighty… start with a
 * vowel sound). For messages that give a password's length instead of the password.
 */
export function characterCount(length: number): string {
    const digits = String(length);
    // The leading group of three digits is what is said first: 11 000 is "eleven thousand".
    const lead = digits.slice(0, digits.length % 3 || 3);
    const vowelSound = lead.startsWith("8") || lead === "11" || lead === "18";
    return `${vowelSound ? "an" : "a"} ${digits}-character`;
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
    if (!isReplicaCount(replicas)) {
        problems.push(`replicas must be ${REPLICAS_RULE} (got ${describe(replicas)})`);
    }
    const engine = args.engine ?? DEFAULT_ENGINE;
    if (!isEngine(engine)) {
        problems.push(`engine must be one of ${ENGINES.map((e) => `"${e}"`).join(", ")} (got ${describe(engine)})`);
    }
    const storageSize = args.storageSize ?? DEFAULT_STORAGE_SIZE;
    if (!isStorageSize(storageSize)) {
        problems.push(`storageSize must be ${STORAGE_SIZE_RULE} (got ${describe(storageSize)})`);
    }
    if (args.readyTimeoutSeconds !== undefined && !isReadyTimeout(args.readyTimeoutSeconds)) {
        problems.push(`readyTimeoutSeconds must be ${READY_TIMEOUT_RULE} (got ${describe(args.readyTimeoutSeconds)})`);
    }
    const profile = isEngine(engine) ? ENGINE_PROFILES[engine] : undefined;
    const image = args.image ?? profile?.serverImage;
    const backupImage = args.backupImage ?? profile?.backupImage;
    if (profile) {
        const imageProblems = [imageProblem("image", image)];
        if (profile.seeding === "backup-stream") {
            imageProblems.push(imageProblem("backupImage", backupImage));
        } else if (args.backupImage !== undefined) {
            imageProblems.push(
                `backupImage applies to engine "mariadb" only: engine "${engine}" clones with the server image's CLONE plugin (got ${describe(args.backupImage)})`,
            );
        }
        for (const problem of imageProblems) {
            if (problem) problems.push(problem);
        }
    }
    for (const arg of PASSWORD_ARGS) {
        // An Output (a secret from config) is only known later; the component checks it then.
        const password = args[arg];
        if (typeof password === "string") {
            const problem = passwordProblem(arg, password);
            if (problem) problems.push(`${problem} (got ${characterCount(password.length)} value)`);
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
    const metrics = resolveMetrics(args.metrics ?? {}, problems);
    const binlogRetentionSeconds = args.binlogRetentionSeconds ?? DEFAULT_BINLOG_RETENTION_SECONDS;
    if (!isBinlogRetention(binlogRetentionSeconds)) {
        problems.push(`binlogRetentionSeconds must be ${BINLOG_RETENTION_RULE} (got ${describe(binlogRetentionSeconds)})`);
    }
    const readinessCatchUpSeconds = args.readinessCatchUpSeconds ?? DEFAULT_READINESS_CATCH_UP_SECONDS;
    if (!isReadinessCatchUp(readinessCatchUpSeconds)) {
        problems.push(`readinessCatchUpSeconds must be ${READINESS_CATCH_UP_RULE} (got ${describe(readinessCatchUpSeconds)})`);
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
        readyTimeoutSeconds: args.readyTimeoutSeconds ?? defaultReadyTimeoutSeconds(replicas, storageSize),
        image: image as string,
        backupImage,
        resources: args.resources ?? DEFAULT_RESOURCES,
        backupResources: args.backupResources ?? DEFAULT_BACKUP_RESOURCES,
        clientAccess: args.clientAccess ?? {},
        networkPolicy: args.networkPolicy ?? true,
        volumeRetention: retention as Required<VolumeRetentionArgs>,
        terminationGracePeriodSeconds: grace,
        clusterDomain,
        metrics,
        binlogRetentionSeconds,
        readinessCatchUpSeconds,
    };
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function resolveMetrics(metrics: MetricsArgs, problems: string[]): ResolvedArgs["metrics"] {
    const resolved = {
        enabled: metrics.enabled ?? true,
        image: metrics.image ?? METRICS_IMAGE,
        resources: metrics.resources ?? DEFAULT_METRICS_RESOURCES,
        serviceMonitor: metrics.serviceMonitor ?? false,
        prometheusRule: metrics.prometheusRule ?? false,
        dashboard: metrics.dashboard ?? false,
        selectorLabels: metrics.selectorLabels ?? {},
        replicaLagAlertSeconds: metrics.replicaLagAlertSeconds ?? DEFAULT_REPLICA_LAG_ALERT_SECONDS,
    };
    for (const key of ["enabled", "serviceMonitor", "prometheusRule", "dashboard"] as const) {
        if (typeof resolved[key] !== "boolean") problems.push(`metrics.${key} must be true or false (got ${describe(resolved[key])})`);
    }
    const imageIssue = imageProblem("metrics.image", resolved.image);
    if (imageIssue) problems.push(imageIssue);
    const lag = resolved.replicaLagAlertSeconds;
    if (typeof lag !== "number" || !Number.isInteger(lag) || lag < 1) {
        problems.push(`metrics.replicaLagAlertSeconds must be a whole number of at least 1 (got ${describe(lag)})`);
    }
    for (const [key, value] of Object.entries(resolved.selectorLabels)) {
        if (!LABEL_KEY.test(key) || typeof value !== "string" || !LABEL_VALUE.test(value)) {
            problems.push(`metrics.selectorLabels must be Kubernetes label keys and values (got ${describe(key)}: ${describe(value)})`);
        }
    }
    if (resolved.enabled === false) {
        const requested = (["serviceMonitor", "prometheusRule", "dashboard"] as const).filter((key) => resolved[key] === true);
        if (requested.length > 0) {
            problems.push(`metrics.${requested.join(", metrics.")} need metrics.enabled (it is false): there would be nothing to scrape`);
        }
    }
    return resolved;
}
