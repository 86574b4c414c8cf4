import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import {
    BINLOG_RETENTION_RULE,
    DEFAULT_BINLOG_RETENTION_SECONDS,
    DEFAULT_READINESS_CATCH_UP_SECONDS,
    DEFAULT_REPLICAS,
    DEFAULT_STORAGE_SIZE,
    ENGINES,
    Engine,
    PASSWORD_ARGS,
    PasswordArg,
    READINESS_CATCH_UP_RULE,
    READY_TIMEOUT_RULE,
    REPLICAS_RULE,
    STORAGE_SIZE_RULE,
    characterCount,
    isBinlogRetention,
    isReadinessCatchUp,
    isReadyTimeout,
    isReplicaCount,
    isStorageSize,
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

/**
 * Minor versions a new EKS cluster can have as of 2026-11: 1.32 and 1.33 in extended
 * support, 1.34 to 1.36 in standard support (EKS's Kubernetes version calendar).
 */
export const EKS_KUBERNETES_VERSIONS = ["1.32", "1.33", "1.34", "1.35", "1.36"] as const;

/** Defaults, mirrored by the `config:` block of Pulumi.yaml (a test keeps them equal). */
export const CONFIG_DEFAULTS = {
    cluster: "minikube" as ClusterKind,
    namespace: "mysql",
    createNamespace: true,
    metrics: true,
    replicas: DEFAULT_REPLICAS,
    engine: "mysql" as Engine,
    storageSize: DEFAULT_STORAGE_SIZE,
    checkStorageClass: true,
    linstorPlacementCount: 1,
    ebsVolumeType: "gp2" as EbsVolumeType,
    eksInstanceType: "t3.large",
    eksNodeCount: 3,
    eksKubernetesVersion: "1.34",
    binlogRetentionSeconds: DEFAULT_BINLOG_RETENTION_SECONDS,
    readinessCatchUpSeconds: DEFAULT_READINESS_CATCH_UP_SECONDS,
};

/**
 * Image overrides, for a cluster whose images are not the official ones (the local node's
 * Debian builds, `localhost/replicated-mysql/…`). The component's defaults when absent.
 */
export const IMAGE_KEYS = ["image", "backupImage", "metricsImage"] as const;
export type ImageKey = (typeof IMAGE_KEYS)[number];

/**
 * Keys without a default (or with one computed from other keys). Pulumi.yaml cannot declare
 * them: the CLI refuses to run a stack that has no value for a declared key without a default.
 */
export const OPTIONAL_CONFIG_KEYS = [
    "storageClass",
    "readyTimeoutSeconds",
    ...PASSWORD_ARGS,
    "kubeconfig",
    "context",
    "linstorStoragePool",
    ...IMAGE_KEYS,
    "cpuRequest",
];

/** Every key of the project's namespace; any other is a mistake. */
export const KNOWN_CONFIG_KEYS = [...Object.keys(CONFIG_DEFAULTS), ...OPTIONAL_CONFIG_KEYS];

/** Bounds of the whole-number keys. */
export const LINSTOR_PLACEMENT_COUNTS = { min: 1, max: 5 };
export const EKS_NODE_COUNTS = { min: 3, max: 50 };

/** Settings for a cluster that already exists (minikube, LINSTOR). */
export interface ExistingClusterConfig {
    /**
     * Path to, or contents of, a kubeconfig; the ambient one when absent. A path (see
     * isKubeconfigContent) has been checked to name a readable file.
     */
    kubeconfig?: string;
    /** Context of that kubeconfig; its current context when absent. */
    context?: string;
}

/** The stack's configuration, checked and with defaults applied. */
export interface StackConfig extends ExistingClusterConfig {
    cluster: ClusterKind;
    namespace: string;
    createNamespace: boolean;
    /** Whether every database pod runs the `metrics` container (mysqld-exporter). */
    metrics: boolean;
    replicas: number;
    engine: Engine;
    /** An existing StorageClass to use instead of the target's own default. */
    storageClass?: string;
    storageSize: string;
    /**
     * Whether to read an existing StorageClass (one the target does not create) before anything
     * is registered, so that a class the cluster lacks stops the run (default true); false for
     * credentials that may not read cluster-scoped StorageClasses.
     */
    checkStorageClass: boolean;
    /** How long `up` waits for the StatefulSet; the component's default when absent. */
    readyTimeoutSeconds?: number;
    /** How long every pod keeps its binary logs (the component's binlogRetentionSeconds). */
    binlogRetentionSeconds: number;
    /** How long a replica's readiness probe waits for the primary's position (the component's readinessCatchUpSeconds). */
    readinessCatchUpSeconds: number;
    /**
     * CPU request of each server container (`500m`, the component's default, when absent): a
     * small node (the local one has 2 cores) fits 5 pods only with less.
     */
    cpuRequest?: string;
    /** Server, backup-tools (MariaDB) and exporter images; the component's defaults when absent. */
    images: Partial<Record<ImageKey, string>>;
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
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
// Namespaces Kubernetes itself makes and owns; a stack that "creates" one would adopt it.
const SYSTEM_NAMESPACE = /^(default|kube-.*)$/;
// An EC2 instance type: family (with generation and options), a dot, a size: m7g.xlarge, u-6tb1.metal.
const EC2_INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

/**
 * Whether a `kubeconfig` value is a kubeconfig's contents rather than a path: YAML or JSON
 * has a line break, or begins with `{` or a `key:`; a path has none of these.
 */
export function isKubeconfigContent(value: string): boolean {
    return /[\r\n]/.test(value) || /^\s*\{/.test(value) || /^\s*[A-Za-z][\w-]*:(\s|$)/.test(value);
}

/**
 * The file a kubeconfig path names, resolved as the Kubernetes provider resolves it: a leading
 * `~` or `~/` is the user's home directory, and a relative path is relative to the project
 * directory (where both the program and the provider run).
 */
export function kubeconfigFile(value: string): string {
    let home: string;
    try {
        // The provider asks the user database (Go's user.Current), not $HOME.
        home = os.userInfo().homedir;
    } catch {
        home = os.homedir();
    }
    const expanded = value === "~" ? home : value.startsWith("~/") ? path.join(home, value.slice(2)) : value;
    return path.resolve(expanded);
}

/**
 * Why a kubeconfig path cannot be read, or undefined when it names a readable file. The
 * provider reads a value that names no file as a kubeconfig's *contents*, and then fails
 * with a parse error that names neither the key nor the path: this says why first.
 */
export function kubeconfigPathProblem(value: string): string | undefined {
    const file = kubeconfigFile(value);
    try {
        if (!fs.statSync(file).isFile()) return `${file} is not a file`;
        fs.accessSync(file, fs.constants.R_OK);
        return undefined;
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") return `no file at ${file}`;
        if (code === "EACCES") return `${file} is not readable (permission denied)`;
        return `${file} cannot be read (${(e as Error).message})`;
    }
}

/**
 * Why a kubeconfig's text cannot give the provider a cluster, or undefined when it can: it must
 * parse as YAML (JSON is YAML) into a mapping whose `contexts` list holds the context the stack
 * uses, `context` when given, else the file's `current-context`. The provider would otherwise
 * fail later, with a parse or "context does not exist" error that names neither the key nor the
 * file. `blame` says which stack key the problem belongs to. Never quotes the text, which may
 * hold credentials. Parsed with js-yaml, the YAML library the Pulumi SDK itself uses.
 */
export function kubeconfigContentProblem(
    text: string,
    context: string | undefined,
): { blame: "kubeconfig" | "context"; problem: string } | undefined {
    let doc: unknown;
    try {
        doc = yaml.load(text);
    } catch (e) {
        const reason = e instanceof yaml.YAMLException ? e.reason : (e as Error).message;
        const line = e instanceof yaml.YAMLException ? ` at line ${e.mark.line + 1}` : "";
        return { blame: "kubeconfig", problem: `is not YAML (${reason}${line})` };
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
        return { blame: "kubeconfig", problem: "is not a kubeconfig (not a YAML mapping)" };
    }
    const fields = doc as Record<string, unknown>;
    const contexts = Array.isArray(fields.contexts)
        ? fields.contexts.map((c) => (typeof c === "object" && c !== null ? (c as { name?: unknown }).name : undefined))
        : [];
    const names = contexts.filter((n): n is string => typeof n === "string");
    if (names.length === 0) return { blame: "kubeconfig", problem: "is not a kubeconfig with a context (no contexts)" };
    const listed = `its contexts: ${names.join(", ")}`;
    if (context !== undefined) {
        return names.includes(context) ? undefined : { blame: "context", problem: listed };
    }
    const current = fields["current-context"];
    if (typeof current !== "string" || current === "") {
        return { blame: "kubeconfig", problem: `names no current-context, and ${PROJECT}:context is not set (${listed})` };
    }
    return names.includes(current)
        ? undefined
        : { blame: "kubeconfig", problem: `names current-context "${current}", which it does not hold (${listed})` };
}

/** Levenshtein distance: how many one-character edits turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
            current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
        }
        previous = current;
    }
    return previous[b.length];
}

/** Why `key` is not one of ours, with the nearest known key when one is near enough to be a slip. */
function unknownKeyProblem(key: string): string {
    const [closest] = KNOWN_CONFIG_KEYS.map((known) => ({
        known,
        distance: editDistance(key.toLowerCase(), known.toLowerCase()),
    })).sort((x, y) => x.distance - y.distance);
    const near = closest.distance <= Math.max(2, Math.floor(key.length / 3));
    // The value is never shown: a misspelt password key holds a password.
    return (
        `${PROJECT}:${key} is not a key of this project; ` +
        (near
            ? `did you mean ${PROJECT}:${closest.known}? (pulumi config rm ${key}, then set ${closest.known})`
            : `allowed: ${KNOWN_CONFIG_KEYS.join(", ")}`)
    );
}

/**
 * Reads and checks the stack's config. Throws one error naming each bad key, its value
 * and what is allowed, before the program registers any resource.
 */
export function readStackConfig(): StackConfig {
    const config = new pulumi.Config(PROJECT);
    const problems: string[] = [];
    const bad = (key: string, value: string, allowed: string) =>
        problems.push(`${PROJECT}:${key} is ${JSON.stringify(value)}; allowed: ${allowed}`);

    for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
        const [namespace, key] = fullKey.split(":");
        if (namespace === PROJECT && !KNOWN_CONFIG_KEYS.includes(key)) problems.push(unknownKeyProblem(key));
    }

    const oneOf = <T extends string>(key: string, allowed: readonly T[], fallback: T): T => {
        const value = config.get(key) ?? fallback;
        if (!(allowed as readonly string[]).includes(value)) bad(key, value, allowed.join(", "));
        return value as T;
    };
    const wholeNumber = (
        key: string,
        fallback: number | undefined,
        fits: (n: number) => boolean,
        allowed: string,
    ): number | undefined => {
        const raw = config.get(key);
        if (raw === undefined) return fallback;
        // Digits only, then the bounds: a huge count must be refused, not attempted.
        if (!/^\d+$/.test(raw) || !fits(Number(raw))) bad(key, raw, allowed);
        return Number(raw);
    };
    const within = ({ min, max }: { min: number; max: number }) => (n: number) => n >= min && n <= max;
    const range = ({ min, max }: { min: number; max: number }) => `a whole number from ${min} to ${max}`;
    const flag = (key: string, fallback: boolean): boolean => {
        const raw = config.get(key);
        if (raw === undefined) return fallback;
        if (raw !== "true" && raw !== "false") bad(key, raw, "true or false");
        return raw === "true";
    };
    const nonEmpty = (key: string, allowed: string): string | undefined => {
        const value = config.get(key);
        if (value !== undefined && value.trim() === "") bad(key, value, allowed);
        return value;
    };

    const cluster = oneOf("cluster", CLUSTERS, CONFIG_DEFAULTS.cluster);
    const engine = oneOf("engine", ENGINES, CONFIG_DEFAULTS.engine);
    const replicas = wholeNumber("replicas", CONFIG_DEFAULTS.replicas, isReplicaCount, REPLICAS_RULE) as number;
    const readyTimeoutSeconds = wholeNumber("readyTimeoutSeconds", undefined, isReadyTimeout, READY_TIMEOUT_RULE);
    const binlogRetentionSeconds = wholeNumber("binlogRetentionSeconds", CONFIG_DEFAULTS.binlogRetentionSeconds, isBinlogRetention, BINLOG_RETENTION_RULE) as number;
    const readinessCatchUpSeconds = wholeNumber("readinessCatchUpSeconds", CONFIG_DEFAULTS.readinessCatchUpSeconds, isReadinessCatchUp, READINESS_CATCH_UP_RULE) as number;
    const createNamespace = flag("createNamespace", CONFIG_DEFAULTS.createNamespace);
    const metrics = flag("metrics", CONFIG_DEFAULTS.metrics);
    const checkStorageClass = flag("checkStorageClass", CONFIG_DEFAULTS.checkStorageClass);
    const namespace = config.get("namespace") ?? CONFIG_DEFAULTS.namespace;
    if (!DNS_LABEL.test(namespace) || namespace.length > 63) {
        bad("namespace", namespace, "a DNS label (lower-case letters, digits and '-', at most 63 characters)");
    } else if (createNamespace && SYSTEM_NAMESPACE.test(namespace)) {
        bad(
            "namespace",
            namespace,
            "with createNamespace true, a namespace the stack creates and owns, not default or kube-* " +
                "(set createNamespace false to deploy into a namespace that exists)",
        );
    }
    const storageSize = config.get("storageSize") ?? CONFIG_DEFAULTS.storageSize;
    if (!isStorageSize(storageSize)) bad("storageSize", storageSize, STORAGE_SIZE_RULE);
    const storageClass = config.get("storageClass");
    if (storageClass !== undefined && (!DNS_SUBDOMAIN.test(storageClass) || storageClass.length > 253)) {
        bad("storageClass", storageClass, "the name of a StorageClass (lower-case letters, digits, '-' and '.')");
    }
    const KUBECONFIG_RULE = "a path to a readable kubeconfig file, or the contents of a kubeconfig";
    const existing = {
        kubeconfig: nonEmpty("kubeconfig", KUBECONFIG_RULE),
        context: nonEmpty("context", "the name of a context of the kubeconfig"),
    };
    // Only the targets on an existing cluster read it (eks builds its provider from the new
    // cluster). A value that is no kubeconfig's contents is a path, and must name a file.
    // Its text must then hold the context the stack uses (the ambient kubeconfig is the
    // provider's to find, and is not read here).
    const { kubeconfig, context } = existing;
    if (cluster !== "eks" && kubeconfig !== undefined && kubeconfig.trim() !== "" && context?.trim() !== "") {
        const inline = isKubeconfigContent(kubeconfig);
        const pathProblem = inline ? undefined : kubeconfigPathProblem(kubeconfig);
        if (pathProblem) {
            bad("kubeconfig", kubeconfig, `${KUBECONFIG_RULE} (${pathProblem})`);
        } else {
            const file = inline ? undefined : kubeconfigFile(kubeconfig);
            const found = kubeconfigContentProblem(file ? fs.readFileSync(file, "utf8") : kubeconfig, context);
            if (found?.blame === "context") {
                bad("context", context as string, `the name of a context of the kubeconfig (${found.problem})`);
            } else if (found && file) {
                bad("kubeconfig", kubeconfig, `${KUBECONFIG_RULE} (${file} ${found.problem})`);
            } else if (found) {
                // Inline contents may hold credentials: described, never quoted.
                problems.push(`${PROJECT}:kubeconfig (inline contents, not shown) ${found.problem}; allowed: ${KUBECONFIG_RULE}`);
            }
        }
    }
    const linstor = {
        storagePool: nonEmpty("linstorStoragePool", "the name of a LINSTOR storage pool"),
        placementCount: wholeNumber(
            "linstorPlacementCount",
            CONFIG_DEFAULTS.linstorPlacementCount,
            within(LINSTOR_PLACEMENT_COUNTS),
            range(LINSTOR_PLACEMENT_COUNTS),
        ) as number,
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
        nodeCount: wholeNumber(
            "eksNodeCount",
            CONFIG_DEFAULTS.eksNodeCount,
            within(EKS_NODE_COUNTS),
            `${range(EKS_NODE_COUNTS)} (spread over three zones)`,
        ) as number,
        kubernetesVersion: oneOf("eksKubernetesVersion", EKS_KUBERNETES_VERSIONS, CONFIG_DEFAULTS.eksKubernetesVersion),
    };
    if (!EC2_INSTANCE_TYPE.test(eks.instanceType)) {
        bad("eksInstanceType", eks.instanceType, 'an EC2 instance type such as "t3.large" or "m7g.xlarge"');
    }
    if (cluster === "eks" && !eks.region) {
        problems.push("aws:region is not set; allowed: an AWS region such as us-west-2 (pulumi config set aws:region us-west-2)");
    }
    const cpuRequest = config.get("cpuRequest");
    // A Kubernetes CPU quantity: whole or decimal cores, or millicores.
    if (cpuRequest !== undefined && !/^([1-9]\d*m|\d+(\.\d+)?)$/.test(cpuRequest)) {
        bad("cpuRequest", cpuRequest, 'a CPU quantity such as "200m" or "0.5"');
    }
    const images: StackConfig["images"] = {};
    for (const key of IMAGE_KEYS) {
        const value = nonEmpty(key, "an image reference such as localhost/replicated-mysql/mysql:9.7.4-debian");
        if (value !== undefined) images[key] = value;
    }
    // Checked here on the raw value: once wrapped in a secret Output it could only be
    // refused after resources are registered.
    const passwords: StackConfig["passwords"] = {};
    for (const key of PASSWORD_ARGS) {
        const raw = config.get(key);
        if (raw === undefined) continue;
        if (passwordProblem(key, raw)) {
            // A password is never printed, even a bad one: its length says enough.
            problems.push(`${PROJECT}:${key} is ${characterCount(raw.length)} secret; allowed: ${passwordRule(key)}`);
        }
        passwords[key] = pulumi.secret(raw);
    }
    if (problems.length > 0) {
        // RunError: `pulumi up` prints the message alone, without the "unhandled exception"
        // wrapper and the stack trace it gives any other Error.
        throw new pulumi.RunError(`Invalid stack config: ${problems.join("; ")}`);
    }
    return {
        cluster,
        namespace,
        createNamespace,
        metrics,
        replicas,
        engine,
        storageClass,
        storageSize,
        checkStorageClass,
        readyTimeoutSeconds,
        binlogRetentionSeconds,
        readinessCatchUpSeconds,
        cpuRequest,
        images,
        passwords,
        ...existing,
        linstor,
        eks,
    };
}
