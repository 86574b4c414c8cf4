import * as k8s from "@pulumi/kubernetes";
import { ResolvedArgs } from "./args";
import { CLONE_STREAM_PORT, ENGINE_PROFILES } from "./engine";
import { CONFIG_MAP_MOUNT } from "./files";

/** Port mysqld serves clients, replication and (MySQL) CLONE on. */
export const MYSQL_PORT = 3306;

/** Port the `metrics` container (mysqld-exporter) serves /metrics on. */
export const METRICS_PORT = 9104;

/** True when the engine seeds replicas through the `clone-server` sidecar's backup stream. */
function streamsBackups(args: ResolvedArgs): boolean {
    return ENGINE_PROFILES[args.engine].seeding === "backup-stream";
}
/** Where both engines keep their data, and where the data volume is mounted. */
export const DATA_DIR = "/var/lib/mysql";
/** uid/gid the server runs as in the mysql and mariadb images. */
export const MYSQL_UID = 999;
/** Accounts the pod scripts create; their passwords live in the credentials Secret. */
export const REPLICATION_USER = "replicator";
export const BACKUP_USER = "backup";
/** Always created (pod 0 initialises once), so that metrics turned on later can log in. */
export const METRICS_USER = "metrics";
/** Keys of the credentials Secret. */
export const SECRET_KEYS = {
    root: "root-password",
    replication: "replication-password",
    backup: "backup-password",
    metrics: "metrics-password",
} as const;

/** Names of the Kubernetes objects, all derived from the component's name. */
export function objectNames(name: string) {
    return {
        configMap: name,
        headlessService: name,
        readService: `${name}-read`,
        statefulSet: name,
        secret: `${name}-credentials`,
        podDisruptionBudget: name,
        networkPolicy: name,
    };
}

/** Labels that select the pods; they never change for a release. */
export function selectorLabels(name: string): Record<string, string> {
    return { app: name, "app.kubernetes.io/instance": name };
}

/** Labels on every object and pod. */
export function commonLabels(args: ResolvedArgs): Record<string, string> {
    return {
        ...selectorLabels(args.name),
        "app.kubernetes.io/name": args.engine,
        "app.kubernetes.io/component": "database",
        "app.kubernetes.io/part-of": "replicated-mysql",
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

/** Fully qualified DNS name of pod `ordinal`, with the client port. */
export function podEndpoint(name: string, namespace: string, domain: string, ordinal: number): string {
    return `${name}-${ordinal}.${objectNames(name).headlessService}.${namespace}.svc.${domain}:${MYSQL_PORT}`;
}

/** Fully qualified DNS name of the read Service, with the client port. */
export function readEndpoint(name: string, namespace: string, domain: string): string {
    return `${objectNames(name).readService}.${namespace}.svc.${domain}:${MYSQL_PORT}`;
}

function podEnv(args: ResolvedArgs): k8s.types.input.core.v1.EnvVar[] {
    const secret = objectNames(args.name).secret;
    const fromSecret = (key: string) => ({ valueFrom: { secretKeyRef: { name: secret, key } } });
    return [
        { name: "MYSQL_ENGINE", value: args.engine },
        { name: "PEER_SERVICE", value: objectNames(args.name).headlessService },
        ...(streamsBackups(args) ? [{ name: "CLONE_PORT", value: String(CLONE_STREAM_PORT) }] : []),
        { name: "MYSQL_ROOT_PASSWORD", ...fromSecret(SECRET_KEYS.root) },
        { name: "REPLICATION_USER", value: REPLICATION_USER },
        { name: "REPLICATION_PASSWORD", ...fromSecret(SECRET_KEYS.replication) },
        { name: "BACKUP_USER", value: BACKUP_USER },
        { name: "BACKUP_PASSWORD", ...fromSecret(SECRET_KEYS.backup) },
        { name: "METRICS_USER", value: METRICS_USER },
        { name: "METRICS_PASSWORD", ...fromSecret(SECRET_KEYS.metrics) },
        { name: "BINLOG_RETENTION_SECONDS", value: String(args.binlogRetentionSeconds) },
        { name: "READINESS_CATCH_UP_SECONDS", value: String(args.readinessCatchUpSeconds) },
    ];
}

const mount = {
    data: { name: "data", mountPath: DATA_DIR, subPath: "mysql" },
    conf: { name: "conf", mountPath: "/etc/mysql/conf.d" },
    configMap: { name: "config-map", mountPath: CONFIG_MAP_MOUNT, readOnly: true },
    run: { name: "run", mountPath: "/run/mysqld" },
    tmp: { name: "tmp", mountPath: "/tmp" },
};

export const containerSecurity: k8s.types.input.core.v1.SecurityContext = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
};

function script(file: string, ...params: string[]): string[] {
    return ["bash", `${CONFIG_MAP_MOUNT}/${file}`, ...params];
}

/** Seconds a replica's readiness probe needs besides its catch-up wait: two connections and a few queries. */
export const READINESS_PROBE_OVERHEAD_SECONDS = 2;

/**
 * Milliseconds one startup probe keeps asking the server (every 0.1 s) before it fails: its
 * timeout less 0.5 s for the kubelet's exec and bash. A server that starts while a probe
 * watches is seen at once instead of at the next tick of the kubelet's probe ticker.
 */
export const STARTUP_PROBE_WATCH_MS = 1500;

function probe(kind: "startup" | "liveness" | "readiness", catchUpSeconds: number): k8s.types.input.core.v1.Probe {
    const timing = {
        // Up to 10 minutes for crash recovery or a long clone catch-up before liveness applies.
        // Every 3 s (the policy's least timeout is 2 s, and a timeout must be shorter than the
        // period): the kubelet probes on a ticker that starts with the pod, not with the
        // container, so a started server waits up to one period to be seen. On the real node,
        // 3 pods from empty volumes reached Ready in 33.6 s against 36.6 s with 10 s (medians
        // of 3, alternating; docs/benchmarks.md "Bring-up on the real node"). Each probe also
        // watches for STARTUP_PROBE_WATCH_MS of its 2 s timeout.
        startup: { periodSeconds: 3, timeoutSeconds: 2, failureThreshold: 200 },
        liveness: { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
        // A replica's probe waits up to catchUpSeconds for the primary's position; probes never overlap.
        readiness: {
            periodSeconds: Math.max(5, catchUpSeconds + READINESS_PROBE_OVERHEAD_SECONDS + 1),
            timeoutSeconds: catchUpSeconds + READINESS_PROBE_OVERHEAD_SECONDS,
            failureThreshold: 2,
        },
    }[kind];
    const params = kind === "startup" ? [String(STARTUP_PROBE_WATCH_MS)] : [];
    return { exec: { command: script("probe.sh", kind, ...params) }, ...timing };
}

/** The StatefulSet's spec: init containers, server, clone sidecar (MariaDB), `sidecars`, probes, storage. */
export function statefulSetSpec(
    args: ResolvedArgs,
    configDigest: string,
    sidecars: k8s.types.input.core.v1.Container[] = [],
): k8s.types.input.apps.v1.StatefulSetSpec {
    const names = objectNames(args.name);
    const env = podEnv(args);
    const selector = selectorLabels(args.name);
    const spread = (topologyKey: string) => ({
        maxSkew: 1,
        topologyKey,
        // Spread where the cluster allows it; a single-node or unzoned cluster still schedules.
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: selector },
    });
    return {
        serviceName: names.headlessService,
        replicas: args.replicas,
        podManagementPolicy: "OrderedReady",
        updateStrategy: { type: "RollingUpdate" },
        selector: { matchLabels: selector },
        persistentVolumeClaimRetentionPolicy: args.volumeRetention,
        template: {
            metadata: {
                labels: commonLabels(args),
                annotations: { "replicated-mysql/config-digest": configDigest },
            },
            spec: {
                terminationGracePeriodSeconds: args.terminationGracePeriodSeconds,
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                securityContext: {
                    runAsNonRoot: true,
                    runAsUser: MYSQL_UID,
                    runAsGroup: MYSQL_UID,
                    fsGroup: MYSQL_UID,
                    fsGroupChangePolicy: "OnRootMismatch",
                    seccompProfile: { type: "RuntimeDefault" },
                },
                topologySpreadConstraints: [spread("kubernetes.io/hostname"), spread("topology.kubernetes.io/zone")],
                initContainers: [
                    {
                        name: "init-config",
                        image: args.image,
                        command: script("init-config.sh"),
                        env,
                        volumeMounts: [mount.conf, mount.configMap],
                        resources: args.backupResources,
                        securityContext: containerSecurity,
                    },
                    {
                        name: "clone-from-peer",
                        image: args.backupImage ?? args.image,
                        command: script("clone-from-peer.sh"),
                        env,
                        // /run/mysqld: the client option file of the donor check (root over TCP).
                        volumeMounts: [mount.data, mount.conf, mount.configMap, mount.run, mount.tmp],
                        resources: args.backupResources,
                        securityContext: containerSecurity,
                    },
                ],
                containers: [
                    {
                        name: "mysql",
                        image: args.image,
                        command: script("run-mysqld.sh"),
                        env,
                        ports: [{ name: "mysql", containerPort: MYSQL_PORT }],
                        volumeMounts: [mount.data, mount.conf, mount.configMap, mount.run, mount.tmp],
                        resources: args.resources,
                        securityContext: containerSecurity,
                        startupProbe: probe("startup", args.readinessCatchUpSeconds),
                        livenessProbe: probe("liveness", args.readinessCatchUpSeconds),
                        readinessProbe: probe("readiness", args.readinessCatchUpSeconds),
                    },
                    ...(streamsBackups(args)
                        ? [
                              {
                                  name: "clone-server",
                                  image: args.backupImage,
                                  command: script("serve-backups.sh"),
                                  env,
                                  ports: [{ name: "clone", containerPort: CLONE_STREAM_PORT }],
                                  volumeMounts: [mount.data, mount.conf, mount.configMap, mount.run, mount.tmp],
                                  resources: args.backupResources,
                                  securityContext: containerSecurity,
                              },
                          ]
                        : []),
                    ...sidecars,
                ],
                volumes: [
                    { name: "conf", emptyDir: {} },
                    { name: "config-map", configMap: { name: names.configMap } },
                    { name: "run", emptyDir: { medium: "Memory" } },
                    { name: "tmp", emptyDir: {} },
                ],
            },
        },
        volumeClaimTemplates: [dataClaimTemplate(args)],
    };
}

/** Name of the data volume in the pod template; claims are `data-<statefulSet>-<ordinal>`. */
export const DATA_VOLUME = "data";

/** The data volume claim of every pod: the StatefulSet's template, and each claim the component keeps. */
export function dataClaimTemplate(args: ResolvedArgs): {
    metadata: { name: string; labels: Record<string, string> };
    spec: k8s.types.input.core.v1.PersistentVolumeClaimSpec;
} {
    return {
        metadata: { name: DATA_VOLUME, labels: selectorLabels(args.name) },
        spec: {
            accessModes: ["ReadWriteOnce"],
            ...(args.storageClass !== undefined ? { storageClassName: args.storageClass } : {}),
            resources: { requests: { storage: args.storageSize } },
        },
    };
}

/** The headless Service that gives each pod its stable `<name>-N.<name>` DNS name. */
export function headlessServiceSpec(args: ResolvedArgs): k8s.types.input.core.v1.ServiceSpec {
    return {
        clusterIP: "None",
        // A replica being seeded must resolve its peer, and be resolvable, before it is Ready.
        publishNotReadyAddresses: true,
        selector: selectorLabels(args.name),
        ports: [
            { name: "mysql", port: MYSQL_PORT, targetPort: MYSQL_PORT },
            ...(streamsBackups(args) ? [{ name: "clone", port: CLONE_STREAM_PORT, targetPort: CLONE_STREAM_PORT }] : []),
        ],
    };
}

/** The read Service: load-balances reads over every Ready pod. */
export function readServiceSpec(args: ResolvedArgs): k8s.types.input.core.v1.ServiceSpec {
    return {
        type: "ClusterIP",
        selector: selectorLabels(args.name),
        ports: [{ name: "mysql", port: MYSQL_PORT, targetPort: MYSQL_PORT }],
    };
}

/** At most one database pod voluntarily down at a time. */
export function podDisruptionBudgetSpec(args: ResolvedArgs): k8s.types.input.policy.v1.PodDisruptionBudgetSpec {
    return { maxUnavailable: 1, selector: { matchLabels: selectorLabels(args.name) } };
}

/**
 * Peers reach 3306 (and the backup stream port with MariaDB); the configured clients reach
 * 3306 only; with metrics on, any pod of the cluster reaches the exporter (Prometheus runs
 * in a namespace of its own).
 */
export function networkPolicySpec(args: ResolvedArgs): k8s.types.input.networking.v1.NetworkPolicySpec {
    const peers = { podSelector: { matchLabels: selectorLabels(args.name) } };
    const { podLabels, namespaceLabels } = args.clientAccess;
    const client: k8s.types.input.networking.v1.NetworkPolicyPeer = {
        podSelector: podLabels ? { matchLabels: podLabels } : {},
        ...(namespaceLabels ? { namespaceSelector: { matchLabels: namespaceLabels } } : {}),
    };
    return {
        podSelector: { matchLabels: selectorLabels(args.name) },
        policyTypes: ["Ingress"],
        ingress: [
            {
                from: [peers],
                ports: [
                    { protocol: "TCP", port: MYSQL_PORT },
                    ...(streamsBackups(args) ? [{ protocol: "TCP", port: CLONE_STREAM_PORT }] : []),
                ],
            },
            { from: [client], ports: [{ protocol: "TCP", port: MYSQL_PORT }] },
            ...(args.metrics.enabled
                ? [{ from: [{ namespaceSelector: {} }], ports: [{ protocol: "TCP", port: METRICS_PORT }] }]
                : []),
        ],
    };
}
