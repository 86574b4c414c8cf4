// Passing objects shaped like what the replicated-mysql component registers (the Kubernetes
// provider's inputs). Each spec copies one, breaks one field, and expects one exact message.

const labels = {
    "app.kubernetes.io/name": "mysql",
    "app.kubernetes.io/instance": "mysql",
    "app.kubernetes.io/component": "database",
    "app.kubernetes.io/part-of": "replicated-mysql",
};
const selector = { "app.kubernetes.io/name": "mysql", "app.kubernetes.io/instance": "mysql" };

const secretEnv = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: "mysql-credentials", key } } });
const env = [
    secretEnv("MYSQL_ROOT_PASSWORD", "root-password"),
    secretEnv("REPLICATION_PASSWORD", "replication-password"),
    secretEnv("BACKUP_PASSWORD", "backup-password"),
    { name: "REPLICATION_USER", value: "replicator" },
    { name: "BACKUP_USER", value: "backup" },
    { name: "MYSQL_ENGINE", value: "mysql" },
    { name: "PEER_SERVICE", value: "mysql" },
    { name: "CLONE_PORT", value: "3307" },
];
const resources = { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } };
const probe = (kind: string, timing: Record<string, number>) =>
    ({ exec: { command: ["bash", "/mnt/config-map/probe.sh", kind] }, ...timing });

/**
 * A deep copy without shared parts (structuredClone would keep the env and resources objects
 * shared between containers), so a spec's change touches exactly one field.
 */
function fresh<T>(value: T): T {
    return JSON.parse(JSON.stringify(value)) as T;
}

export function databaseStatefulSet(): any {
    return fresh({
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: "mysql", namespace: "db", labels },
        spec: {
            serviceName: "mysql",
            replicas: 3,
            podManagementPolicy: "OrderedReady",
            selector: { matchLabels: selector },
            persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
            template: {
                metadata: { labels },
                spec: {
                    securityContext: { runAsNonRoot: true, runAsUser: 999, fsGroup: 999 },
                    initContainers: [
                        { name: "init-config", image: "mariadb:10.11", env, resources },
                        { name: "clone-from-peer", image: "mariadb:10.11", env, resources },
                    ],
                    containers: [
                        {
                            name: "mysql",
                            image: "mariadb:10.11",
                            env,
                            ports: [{ name: "mysql", containerPort: 3306 }],
                            volumeMounts: [
                                { name: "data", mountPath: "/var/lib/mysql", subPath: "mysql" },
                                { name: "conf", mountPath: "/etc/mysql/conf.d" },
                                { name: "config-map", mountPath: "/mnt/config-map" },
                                { name: "run", mountPath: "/run/mysqld" },
                                { name: "tmp", mountPath: "/tmp" },
                            ],
                            resources,
                            startupProbe: probe("startup", { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 60 }),
                            livenessProbe: probe("liveness", { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 }),
                            readinessProbe: probe("readiness", { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 }),
                        },
                        {
                            name: "clone-server",
                            image: "mariadb:10.11",
                            env,
                            ports: [{ name: "clone", containerPort: 3307 }],
                            volumeMounts: [{ name: "data", mountPath: "/var/lib/mysql", subPath: "mysql" }],
                            resources,
                        },
                        {
                            name: "metrics",
                            image: "prom/mysqld-exporter:v0.19.0",
                            env: [secretEnv("MYSQLD_EXPORTER_PASSWORD", "metrics-password")],
                            ports: [{ name: "metrics", containerPort: 9104 }],
                            volumeMounts: [{ name: "run", mountPath: "/run/mysqld", readOnly: true }],
                            resources,
                        },
                    ],
                    volumes: [
                        { name: "conf", emptyDir: {} },
                        { name: "config-map", configMap: { name: "mysql" } },
                        { name: "run", emptyDir: { medium: "Memory" } },
                        { name: "tmp", emptyDir: {} },
                    ],
                },
            },
            volumeClaimTemplates: [{
                metadata: { name: "data" },
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: "standard",
                    resources: { requests: { storage: "10Gi" } },
                },
            }],
        },
    });
}

export function storageClass(): any {
    return {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: "mysql-gp3" },
        provisioner: "ebs.csi.aws.com",
        parameters: { type: "gp3", encrypted: "true" },
        volumeBindingMode: "WaitForFirstConsumer",
        allowVolumeExpansion: true,
        reclaimPolicy: "Retain",
    };
}

export function podDisruptionBudget(): any {
    return fresh({
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { name: "mysql", namespace: "db", labels },
        spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
    });
}

/** A StatefulSet nothing marks as a database: the policies leave it alone. */
export function webStatefulSet(): any {
    const web = databaseStatefulSet();
    web.metadata = { name: "web", namespace: "db", labels: { "app.kubernetes.io/name": "web" } };
    web.spec.template.metadata.labels = { "app.kubernetes.io/name": "web" };
    web.spec.template.spec.initContainers = [];
    web.spec.template.spec.containers = [{ name: "web", image: "nginx:latest" }];
    web.spec.volumeClaimTemplates = [];
    return web;
}
