import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { GENERATED_PASSWORD_LENGTH, PasswordArg, ReplicatedMySqlArgs, ResolvedArgs, passwordProblem, resolveArgs } from "./args";
import { configDigest, configMapData } from "./files";
import {
    DATA_VOLUME,
    SECRET_KEYS,
    commonLabels,
    dataClaimTemplate,
    headlessServiceSpec,
    networkPolicySpec,
    objectNames,
    podDisruptionBudgetSpec,
    podEndpoint,
    readEndpoint,
    readServiceSpec,
    statefulSetSpec,
} from "./manifests";
import {
    GRAFANA_DASHBOARD_LABEL,
    dashboardConfigMapData,
    metricsContainer,
    metricsServiceLabels,
    metricsServiceSpec,
    monitoringNames,
    prometheusRuleSpec,
    scrapeAnnotations,
    serviceMonitorSpec,
} from "./monitoring";

export * from "./args";
export { ENGINES, ENGINE_PROFILES, Engine } from "./engine";

/** Where the StatefulSet's claim template keeps the size; never updated once created. */
export const STATEFUL_SET_CLAIM_SIZE = "spec.volumeClaimTemplates[0].spec.resources.requests.storage";

/**
 * Replicated MySQL (or MariaDB) on Kubernetes: a primary (pod 0) and read-only replicas
 * (pods 1..N-1), each replica seeded by cloning the pod before it and replicating from the
 * primary with GTID.
 *
 * Creates a Secret with the passwords, a ConfigMap with the server configs and pod scripts,
 * a headless Service (`<name>`), a read Service (`<name>-read`), the StatefulSet, a
 * PodDisruptionBudget and a NetworkPolicy; with metrics on (the default) a `metrics` container
 * in every pod and a metrics Service, and on request a ServiceMonitor, a PrometheusRule and a
 * Grafana dashboard ConfigMap. Pass the Kubernetes provider through `providers`
 * (or `provider`) in the options; the component never uses an ambient kubeconfig itself.
 */
export class ReplicatedMySql extends pulumi.ComponentResource {
    /** Address of the primary, for writes: `<name>-0.<name>.<namespace>.svc.<domain>:3306`. */
    public readonly primaryEndpoint: pulumi.Output<string>;
    /** Address of the read Service: `<name>-read.<namespace>.svc.<domain>:3306`. */
    public readonly readEndpoint: pulumi.Output<string>;
    /** Address of each replica (pods 1..N-1), in order. */
    public readonly replicaEndpoints: pulumi.Output<string[]>;
    /** Name of the Secret holding the root, replication and backup passwords. */
    public readonly passwordSecret: pulumi.Output<string>;
    /** The root password (a Pulumi secret). */
    public readonly rootPassword: pulumi.Output<string>;
    /** Namespace the objects live in. */
    public readonly namespace: pulumi.Output<string>;
    /** Name of the StatefulSet (its pods are `<name>-N`, its claims `data-<name>-N`). */
    public readonly statefulSetName: pulumi.Output<string>;

    constructor(name: string, args: ReplicatedMySqlArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        // Validate before the component itself is registered, so bad args change nothing.
        const resolved = resolveArgs(name, args);
        super("replicated-mysql:index:ReplicatedMySql", name, {}, opts);

        const names = objectNames(name);
        const labels = commonLabels(resolved);
        const namespace = pulumi.output(resolved.namespace);
        const metadata = (objectName: string) => ({ name: objectName, namespace, labels });
        const child = { parent: this };

        // A password given is used (and checked again once an Output's value is known); one
        // not given is generated, so the random provider is needed only then.
        const password = (arg: PasswordArg, purpose: string): pulumi.Output<string> => {
            const given = args[arg];
            if (given === undefined) {
                return pulumi.secret(
                    new random.RandomPassword(
                        `${name}-${purpose}-password`,
                        { length: GENERATED_PASSWORD_LENGTH, special: false },
                        child,
                    ).result,
                );
            }
            return pulumi.secret(
                pulumi.output(given).apply((value) => {
                    const problem = passwordProblem(arg, value ?? "");
                    if (problem) throw new pulumi.RunError(`ReplicatedMySql "${name}" has invalid args: ${problem}`);
                    return value;
                }),
            );
        };
        const rootPassword = password("rootPassword", "root");

        const secret = new k8s.core.v1.Secret(
            `${name}-credentials`,
            {
                metadata: metadata(names.secret),
                type: "Opaque",
                stringData: {
                    [SECRET_KEYS.root]: rootPassword,
                    [SECRET_KEYS.replication]: password("replicationPassword", "replication"),
                    [SECRET_KEYS.backup]: password("backupPassword", "backup"),
                    [SECRET_KEYS.metrics]: password("metricsPassword", "metrics"),
                },
            },
            child,
        );

        const data = configMapData(resolved.engine);
        const configMap = new k8s.core.v1.ConfigMap(name, { metadata: metadata(names.configMap), data }, child);

        const headless = new k8s.core.v1.Service(
            name,
            { metadata: metadata(names.headlessService), spec: headlessServiceSpec(resolved) },
            child,
        );
        const readService = new k8s.core.v1.Service(
            `${name}-read`,
            { metadata: metadata(names.readService), spec: readServiceSpec(resolved) },
            child,
        );

        // Every pod's data claim is also a resource of its own, kept before its pod exists, so
        // that a size change reaches every claim in place: Kubernetes (1.36 included) refuses
        // any change to a StatefulSet's volumeClaimTemplates, and the Kubernetes provider
        // answers one by replacing the StatefulSet, every pod with it. The StatefulSet finds
        // each claim by name and uses it; the template's own size, which only a StatefulSet
        // scaled outside Pulumi would still use, is left as it was created (ignoreChanges).
        const claimTemplate = dataClaimTemplate(resolved);
        const claims = Array.from({ length: resolved.replicas }, (_, ordinal) => {
            const claimName = `${DATA_VOLUME}-${names.statefulSet}-${ordinal}`;
            return new k8s.core.v1.PersistentVolumeClaim(
                claimName,
                {
                    metadata: {
                        name: claimName,
                        namespace,
                        labels: claimTemplate.metadata.labels,
                        annotations: {
                            // A claim of a WaitForFirstConsumer class stays Pending until its pod
                            // exists, which needs the StatefulSet: the StatefulSet's wait covers it.
                            "pulumi.com/skipAwait": "true",
                            // Claims the StatefulSet made before this component kept them are
                            // owned by the controller manager; the size is taken over from it.
                            "pulumi.com/patchForce": "true",
                        },
                    },
                    spec: claimTemplate.spec,
                },
                // Data outlives the program: scale-down, destroy or a removed claim leave it.
                { ...child, retainOnDelete: true },
            );
        });

        const statefulSet = new k8s.apps.v1.StatefulSet(
            name,
            {
                metadata: {
                    ...metadata(names.statefulSet),
                    annotations: { "pulumi.com/timeoutSeconds": String(resolved.readyTimeoutSeconds) },
                },
                spec: statefulSetSpec(resolved, configDigest(data), resolved.metrics.enabled ? [metricsContainer(resolved)] : []),
            },
            {
                ...child,
                dependsOn: [secret, configMap, headless, ...claims],
                ignoreChanges: [STATEFUL_SET_CLAIM_SIZE],
            },
        );

        new k8s.policy.v1.PodDisruptionBudget(
            name,
            { metadata: metadata(names.podDisruptionBudget), spec: podDisruptionBudgetSpec(resolved) },
            child,
        );
        if (resolved.networkPolicy) {
            new k8s.networking.v1.NetworkPolicy(
                name,
                { metadata: metadata(names.networkPolicy), spec: networkPolicySpec(resolved) },
                child,
            );
        }

        if (resolved.metrics.enabled) this.createMonitoring(resolved, namespace, labels, child);

        const domain = resolved.clusterDomain;
        this.namespace = namespace;
        this.statefulSetName = statefulSet.metadata.name;
        this.primaryEndpoint = pulumi
            .all([statefulSet.metadata.name, namespace])
            .apply(([, ns]) => podEndpoint(name, ns, domain, 0));
        this.readEndpoint = pulumi
            .all([readService.metadata.name, namespace])
            .apply(([, ns]) => readEndpoint(name, ns, domain));
        this.replicaEndpoints = pulumi
            .all([statefulSet.metadata.name, namespace])
            .apply(([, ns]) =>
                Array.from({ length: resolved.replicas - 1 }, (_, i) => podEndpoint(name, ns, domain, i + 1)),
            );
        this.passwordSecret = secret.metadata.name;
        this.rootPassword = rootPassword;

        this.registerOutputs({
            primaryEndpoint: this.primaryEndpoint,
            readEndpoint: this.readEndpoint,
            replicaEndpoints: this.replicaEndpoints,
            passwordSecret: this.passwordSecret,
            rootPassword: this.rootPassword,
            namespace: this.namespace,
            statefulSetName: this.statefulSetName,
        });
    }

    /** The metrics Service, and the ServiceMonitor, PrometheusRule and dashboard asked for. */
    private createMonitoring(
        resolved: ResolvedArgs,
        namespace: pulumi.Output<string>,
        labels: Record<string, string>,
        child: pulumi.CustomResourceOptions,
    ): void {
        const { metrics, name } = resolved;
        const names = monitoringNames(name);
        const serviceLabels = metricsServiceLabels(labels);
        new k8s.core.v1.Service(
            names.service,
            {
                metadata: { name: names.service, namespace, labels: serviceLabels, annotations: scrapeAnnotations() },
                spec: metricsServiceSpec(resolved),
            },
            child,
        );
        // prometheus-operator kinds, created only on request: they need its CRDs.
        const operatorObject = (kind: "ServiceMonitor" | "PrometheusRule", objectName: string, spec: object) =>
            new k8s.apiextensions.CustomResource(
                objectName,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind,
                    metadata: { name: objectName, namespace, labels: { ...labels, ...metrics.selectorLabels } },
                    spec,
                },
                child,
            );
        if (metrics.serviceMonitor) operatorObject("ServiceMonitor", names.serviceMonitor, serviceMonitorSpec(resolved, namespace));
        if (metrics.prometheusRule) {
            operatorObject("PrometheusRule", names.prometheusRule, prometheusRuleSpec(metrics.replicaLagAlertSeconds));
        }
        if (metrics.dashboard) {
            new k8s.core.v1.ConfigMap(
                names.dashboard,
                {
                    metadata: { name: names.dashboard, namespace, labels: { ...labels, [GRAFANA_DASHBOARD_LABEL]: "1" } },
                    data: dashboardConfigMapData(),
                },
                child,
            );
        }
    }
}
