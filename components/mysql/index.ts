import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { GENERATED_PASSWORD_LENGTH, PasswordArg, ReplicatedMySqlArgs, passwordProblem, resolveArgs } from "./args";
import { configDigest, configMapData } from "./files";
import {
    SECRET_KEYS,
    commonLabels,
    headlessServiceSpec,
    networkPolicySpec,
    objectNames,
    podDisruptionBudgetSpec,
    podEndpoint,
    readEndpoint,
    readServiceSpec,
    statefulSetSpec,
} from "./manifests";

export * from "./args";
export { ENGINES, ENGINE_PROFILES, Engine } from "./engine";

/**
 * Replicated MySQL (or MariaDB) on Kubernetes: a primary (pod 0) and read-only replicas
 * (pods 1..N-1), each replica seeded by cloning the pod before it and replicating from the
 * primary with GTID.
 *
 * Creates a Secret with the passwords, a ConfigMap with the server configs and pod scripts,
 * a headless Service (`<name>`), a read Service (`<name>-read`), the StatefulSet, a
 * PodDisruptionBudget and a NetworkPolicy. Pass the Kubernetes provider through `providers`
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
                    if (problem) throw new Error(`ReplicatedMySql "${name}" has invalid args: ${problem}`);
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

        const statefulSet = new k8s.apps.v1.StatefulSet(
            name,
            { metadata: metadata(names.statefulSet), spec: statefulSetSpec(resolved, configDigest(data)) },
            { ...child, dependsOn: [secret, configMap, headless] },
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
}
