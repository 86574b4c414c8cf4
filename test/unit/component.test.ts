import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import {
    Engine,
    InvalidArgsError,
    ReplicatedMySql,
    ReplicatedMySqlArgs,
    STATEFUL_SET_CLAIM_SIZE,
    characterCount,
    defaultReadyTimeoutSeconds,
} from "../../components/mysql";
import { RecordedResource, mocks, resolveOutput, useMocks } from "../helpers/mocks";
import { schemaProblems } from "../helpers/k8s-schema";
import { STARTUP_PROBE_WATCH_MS } from "../../components/mysql/manifests";

const T = {
    secret: "kubernetes:core/v1:Secret",
    configMap: "kubernetes:core/v1:ConfigMap",
    service: "kubernetes:core/v1:Service",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    password: "random:index/randomPassword:RandomPassword",
    claim: "kubernetes:core/v1:PersistentVolumeClaim",
};

// Syntax MySQL 8.4 no longer accepts (FACTS.md section 3).
const REMOVED_IN_84 = [
    /CHANGE\s+MASTER/i,
    /START\s+SLAVE/i,
    /STOP\s+SLAVE/i,
    /SHOW\s+SLAVE\s+STATUS/i,
    /RESET\s+SLAVE/i,
    /RESET\s+MASTER/i,
    /SHOW\s+MASTER\s+STATUS/i,
    /\bMASTER_[A-Z_]+\s*=/i,
];

interface Deployment {
    db: ReplicatedMySql;
    provider: string;
    byType: (type: string) => RecordedResource[];
    one: (type: string, name: string) => RecordedResource;
    statefulSet: any;
    pod: any;
    container: (name: string) => any;
    configData: Record<string, string>;
}

async function deploy(name: string, args?: ReplicatedMySqlArgs): Promise<Deployment> {
    mocks.reset();
    const provider = new k8s.Provider("target", { kubeconfig: "{}" });
    const db = new ReplicatedMySql(name, args, { providers: [provider] });
    await resolveOutput(db.primaryEndpoint);
    await mocks.settle();
    const providerRef = `${await resolveOutput(provider.urn).then((o) => o.value)}::target-id`;
    const statefulSet = mocks.find(T.statefulSet, name).inputs;
    const pod = statefulSet.spec.template.spec;
    return {
        db,
        provider: providerRef,
        byType: (type) => mocks.ofType(type),
        one: (type, resourceName) => mocks.find(type, resourceName),
        statefulSet,
        pod,
        container: (containerName) => {
            const found = [...pod.initContainers, ...pod.containers].find((c: any) => c.name === containerName);
            assert.ok(found, `container ${containerName} exists`);
            return found;
        },
        configData: mocks.find(T.configMap, name).inputs.data,
    };
}

function kubernetesResources(): RecordedResource[] {
    return mocks.resources.filter((r) => r.type.startsWith("kubernetes:") && r.custom);
}

describe("ReplicatedMySql resource graph", () => {
    before(() => useMocks());

    for (const engine of ["mysql", "mariadb"] as Engine[]) {
        for (const replicas of [1, 3, 5]) {
            describe(`${engine}, ${replicas} replica(s)`, () => {
                let d: Deployment;
                before(async () => {
                    d = await deploy("mysql", { engine, replicas, namespace: "db", storageClass: "fast", storageSize: "20Gi" });
                });

                it("creates the tutorial's objects plus a Secret, PDB, NetworkPolicy, metrics Service and each pod's claim, all in the namespace", () => {
                    const objects = kubernetesResources()
                        .filter((r) => r.type !== "pulumi:providers:kubernetes")
                        .map((r) => `${r.type} ${r.inputs.metadata.namespace}/${r.inputs.metadata.name}`)
                        .sort();
                    assert.deepStrictEqual(objects, [
                        `${T.secret} db/mysql-credentials`,
                        `${T.configMap} db/mysql`,
                        `${T.service} db/mysql`,
                        `${T.service} db/mysql-read`,
                        `${T.statefulSet} db/mysql`,
                        `${T.networkPolicy} db/mysql`,
                        `${T.pdb} db/mysql`,
                        `${T.service} db/mysql-metrics`,
                        ...Array.from({ length: replicas }, (_, i) => `${T.claim} db/data-mysql-${i}`),
                    ].sort());
                });

                it("registers every Kubernetes object with the provider it was given", () => {
                    for (const r of kubernetesResources()) {
                        assert.strictEqual(r.provider, d.provider, `${r.type} ${r.name} uses the explicit provider`);
                    }
                });

                it("runs the requested number of pods behind the headless Service", () => {
                    assert.strictEqual(d.statefulSet.spec.replicas, replicas);
                    assert.strictEqual(d.statefulSet.spec.serviceName, "mysql");
                    assert.strictEqual(d.statefulSet.spec.podManagementPolicy, "OrderedReady");
                    const headless = d.one(T.service, "mysql").inputs.spec;
                    assert.strictEqual(headless.clusterIP, "None");
                    assert.strictEqual(headless.publishNotReadyAddresses, true);
                    // MySQL clones over 3306 (CLONE plugin); only MariaDB streams backups on 3307.
                    assert.deepStrictEqual(headless.ports.map((p: any) => p.port), engine === "mysql" ? [3306] : [3306, 3307]);
                    const read = d.one(T.service, "mysql-read").inputs.spec;
                    assert.deepStrictEqual(read.ports.map((p: any) => p.port), [3306]);
                    assert.notStrictEqual(read.clusterIP, "None");
                });

                it("selects its own pods, and only them, everywhere", () => {
                    const selector = d.statefulSet.spec.selector.matchLabels;
                    assert.deepStrictEqual(selector, { app: "mysql", "app.kubernetes.io/instance": "mysql" });
                    const podLabels = d.statefulSet.spec.template.metadata.labels;
                    for (const [key, value] of Object.entries(selector)) assert.strictEqual(podLabels[key], value);
                    assert.strictEqual(podLabels["app.kubernetes.io/component"], "database");
                    for (const svc of ["mysql", "mysql-read"]) {
                        assert.deepStrictEqual(d.one(T.service, svc).inputs.spec.selector, selector);
                    }
                    assert.deepStrictEqual(d.one(T.pdb, "mysql").inputs.spec.selector.matchLabels, selector);
                    assert.deepStrictEqual(d.one(T.networkPolicy, "mysql").inputs.spec.podSelector.matchLabels, selector);
                });

                it("gives each pod a ReadWriteOnce data volume of the configured class and size at the data path", () => {
                    const [claim] = d.statefulSet.spec.volumeClaimTemplates;
                    assert.strictEqual(d.statefulSet.spec.volumeClaimTemplates.length, 1);
                    assert.strictEqual(claim.metadata.name, "data");
                    assert.deepStrictEqual(claim.spec.accessModes, ["ReadWriteOnce"]);
                    assert.strictEqual(claim.spec.storageClassName, "fast");
                    assert.strictEqual(claim.spec.resources.requests.storage, "20Gi");
                    for (const name of engine === "mysql" ? ["clone-from-peer", "mysql"] : ["clone-from-peer", "mysql", "clone-server"]) {
                        const dataMount = d.container(name).volumeMounts.find((m: any) => m.name === "data");
                        assert.deepStrictEqual(dataMount, { name: "data", mountPath: "/var/lib/mysql", subPath: "mysql" });
                    }
                    assert.deepStrictEqual(d.statefulSet.spec.persistentVolumeClaimRetentionPolicy, {
                        whenDeleted: "Retain",
                        whenScaled: "Retain",
                    });
                });

                it("runs init-config, clone-from-peer, mysql (with MariaDB clone-server) from the ConfigMap's scripts, and metrics", () => {
                    assert.deepStrictEqual(d.pod.initContainers.map((c: any) => c.name), ["init-config", "clone-from-peer"]);
                    const expected: Record<string, string> = {
                        "init-config": "init-config.sh",
                        "clone-from-peer": "clone-from-peer.sh",
                        mysql: "run-mysqld.sh",
                    };
                    if (engine === "mysql") {
                        // One image and no sidecar: replicas clone with the server's CLONE plugin.
                        assert.deepStrictEqual(d.pod.containers.map((c: any) => c.name), ["mysql", "metrics"]);
                        for (const c of [...d.pod.initContainers, d.container("mysql")]) assert.strictEqual(c.image, "mysql:9.7");
                        assert.ok(!d.container("mysql").env.some((e: any) => e.name === "CLONE_PORT"));
                    } else {
                        assert.deepStrictEqual(d.pod.containers.map((c: any) => c.name), ["mysql", "clone-server", "metrics"]);
                        expected["clone-server"] = "serve-backups.sh";
                        assert.deepStrictEqual(d.container("clone-server").ports, [{ name: "clone", containerPort: 3307 }]);
                    }
                    for (const [container, file] of Object.entries(expected)) {
                        assert.deepStrictEqual(d.container(container).command, ["bash", `/mnt/config-map/${file}`]);
                        assert.ok(d.configData[file], `${file} is in the ConfigMap`);
                    }
                    assert.deepStrictEqual(d.container("mysql").ports, [{ name: "mysql", containerPort: 3306 }]);
                    const configVolume = d.pod.volumes.find((v: any) => v.name === "config-map");
                    assert.deepStrictEqual(configVolume.configMap, { name: "mysql" });
                });

                it("probes startup, liveness and readiness with distinct checks and bounded timings", () => {
                    const mysql = d.container("mysql");
                    for (const kind of ["startup", "liveness", "readiness"]) {
                        const probe = mysql[`${kind}Probe`];
                        const params = kind === "startup" ? [String(STARTUP_PROBE_WATCH_MS)] : [];
                        assert.deepStrictEqual(probe.exec.command, ["bash", "/mnt/config-map/probe.sh", kind, ...params]);
                        assert.ok(probe.timeoutSeconds >= 1 && probe.timeoutSeconds < probe.periodSeconds);
                    }
                    // The startup probe's own watch ends, with room for the exec, before the kubelet's timeout.
                    assert.ok(STARTUP_PROBE_WATCH_MS > 0 && STARTUP_PROBE_WATCH_MS + 400 <= mysql.startupProbe.timeoutSeconds * 1000);
                    assert.notDeepStrictEqual(mysql.livenessProbe, mysql.readinessProbe);
                    // Startup must leave room for crash recovery before liveness can kill the pod.
                    const startup = mysql.startupProbe;
                    assert.ok(startup.periodSeconds * startup.failureThreshold >= 600);
                    // ...yet a started server is seen within 3 s: every pod of a bring-up waits for it.
                    assert.ok(startup.periodSeconds <= 3);
                    assert.ok(d.configData["probe.sh"], "probe.sh is in the ConfigMap");
                });

                it("sets requests and limits on every container, and runs them unprivileged", () => {
                    for (const c of [...d.pod.initContainers, ...d.pod.containers]) {
                        assert.ok(c.resources.requests.cpu && c.resources.requests.memory, `${c.name} has requests`);
                        assert.ok(c.resources.limits.memory, `${c.name} has a memory limit`);
                        assert.strictEqual(c.securityContext.allowPrivilegeEscalation, false);
                        assert.strictEqual(c.securityContext.readOnlyRootFilesystem, true);
                        assert.ok(!/:latest$/.test(c.image) && c.image.includes(":"), `${c.name} image is tagged`);
                    }
                    assert.strictEqual(d.pod.securityContext.runAsNonRoot, true);
                    assert.ok(d.pod.terminationGracePeriodSeconds >= 60);
                    const spreadKeys = d.pod.topologySpreadConstraints.map((t: any) => t.topologyKey);
                    assert.deepStrictEqual(spreadKeys, ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]);
                });

                it("passes passwords only from the Secret, which holds four non-empty secret values", () => {
                    const secret = d.one(T.secret, "mysql-credentials").inputs;
                    assert.deepStrictEqual(Object.keys(secret.stringData).sort(), [
                        "backup-password",
                        "metrics-password",
                        "replication-password",
                        "root-password",
                    ]);
                    for (const [key, value] of Object.entries(secret.stringData as Record<string, string>)) {
                        assert.ok(typeof value === "string" && value.length >= 16, `${key} is a real password`);
                    }
                    const secretPaths = d.one(T.secret, "mysql-credentials").secretPaths;
                    assert.ok(secretPaths.some((p) => p.startsWith("stringData")), "stringData is marked secret");
                    for (const c of [...d.pod.initContainers, ...d.pod.containers]) {
                        for (const env of c.env) {
                            if (/PASSWORD/.test(env.name)) {
                                assert.strictEqual(env.value, undefined, `${c.name} ${env.name} has no literal value`);
                                assert.strictEqual(env.valueFrom.secretKeyRef.name, "mysql-credentials");
                                assert.ok(env.valueFrom.secretKeyRef.key in secret.stringData);
                            }
                        }
                        const names = c.env.map((e: any) => e.name);
                        assert.ok(!names.includes("MYSQL_ALLOW_EMPTY_PASSWORD"));
                        // The metrics container gets its own password only.
                        if (c.name === "metrics") continue;
                        const user = c.env.find((e: any) => e.name === "REPLICATION_USER").value;
                        assert.notStrictEqual(user, "root", "replication does not run as root");
                    }
                    assert.strictEqual(d.container("mysql").env.find((e: any) => e.name === "MYSQL_ENGINE").value, engine);
                });

                it("ships the engine's read-only replica config and only that engine's SQL", () => {
                    // Settings only: comments may explain what is not set.
                    const settings = (file: string) => d.configData[file].replace(/^\s*[#;].*$/gm, "");
                    const replica = settings("replica.cnf");
                    const primary = settings("primary.cnf");
                    assert.ok(replica && primary && d.configData["common.cnf"]);
                    if (engine === "mysql") {
                        assert.match(replica, /^\s*super[-_]read[-_]only\s*(=\s*(1|ON))?\s*$/im);
                        const text = Object.values(d.configData).join("\n");
                        for (const removed of REMOVED_IN_84) assert.doesNotMatch(text, removed);
                        assert.ok(d.configData["engine-mysql.sh"] && !d.configData["engine-mariadb.sh"]);
                    } else {
                        assert.match(replica, /^\s*read[-_]only\s*(=\s*(1|ON))?\s*$/im);
                        assert.doesNotMatch(replica, /super[-_]read[-_]only/i, "MariaDB aborts on super_read_only");
                        assert.ok(d.configData["engine-mariadb.sh"] && !d.configData["engine-mysql.sh"]);
                    }
                    assert.doesNotMatch(primary, /^\s*(super[-_])?read[-_]only\s*(=\s*(1|ON))?\s*$/im);
                });

                it("exports the endpoints, the Secret's name and the root password as a secret", async () => {
                    assert.strictEqual((await resolveOutput(d.db.primaryEndpoint)).value, "mysql-0.mysql.db.svc.cluster.local:3306");
                    assert.strictEqual((await resolveOutput(d.db.readEndpoint)).value, "mysql-read.db.svc.cluster.local:3306");
                    const replicaEndpoints = (await resolveOutput(d.db.replicaEndpoints)).value;
                    assert.deepStrictEqual(
                        replicaEndpoints,
                        Array.from({ length: replicas - 1 }, (_, i) => `mysql-${i + 1}.mysql.db.svc.cluster.local:3306`),
                    );
                    assert.strictEqual((await resolveOutput(d.db.passwordSecret)).value, "mysql-credentials");
                    const root = await resolveOutput(d.db.rootPassword);
                    assert.strictEqual(root.secret, true);
                    assert.strictEqual(root.value, d.one(T.secret, "mysql-credentials").inputs.stringData["root-password"]);
                });

                it("produces objects that validate strictly against the Kubernetes OpenAPI schema", async () => {
                    for (const r of kubernetesResources()) {
                        if (r.type.startsWith("pulumi:")) continue;
                        assert.deepStrictEqual(await schemaProblems(r.type, r.inputs), [], `${r.type} ${r.name}`);
                    }
                });
            });
        }
    }
});

describe("ReplicatedMySql options", () => {
    before(() => useMocks());

    it("derives every name from the component's name", async () => {
        const d = await deploy("orders");
        const names = kubernetesResources().map((r) => `${r.type.split(":").pop()}/${r.inputs.metadata.name}`).sort();
        assert.deepStrictEqual(names, [
            "ConfigMap/orders",
            "NetworkPolicy/orders",
            "PersistentVolumeClaim/data-orders-0",
            "PersistentVolumeClaim/data-orders-1",
            "PersistentVolumeClaim/data-orders-2",
            "PodDisruptionBudget/orders",
            "Secret/orders-credentials",
            "Service/orders",
            "Service/orders-metrics",
            "Service/orders-read",
            "StatefulSet/orders",
        ]);
        assert.strictEqual(d.statefulSet.spec.serviceName, "orders");
        assert.strictEqual(d.statefulSet.metadata.namespace, "default");
        assert.strictEqual((await resolveOutput(d.db.primaryEndpoint)).value, "orders-0.orders.default.svc.cluster.local:3306");
        const env = d.container("mysql").env;
        assert.strictEqual(env.find((e: any) => e.name === "PEER_SERVICE").value, "orders");
    });

    it("uses the defaults the docs state", async () => {
        const d = await deploy("mysql");
        assert.strictEqual(d.statefulSet.spec.replicas, 3);
        const [claim] = d.statefulSet.spec.volumeClaimTemplates;
        assert.strictEqual(claim.spec.resources.requests.storage, "10Gi");
        assert.strictEqual(claim.spec.storageClassName, undefined, "no class: the cluster default applies");
        assert.strictEqual(d.container("mysql").image, "mysql:9.7");
        assert.strictEqual(d.container("clone-from-peer").image, "mysql:9.7");
        assert.deepStrictEqual(d.container("mysql").resources, {
            requests: { cpu: "500m", memory: "1Gi" },
            limits: { memory: "2Gi" },
        });
        assert.strictEqual(d.pod.terminationGracePeriodSeconds, 120);
        assert.strictEqual(mocks.ofType(T.password).length, 4);
    });

    it("uses a given root password instead of generating one, and keeps it secret", async () => {
        const d = await deploy("mysql", { rootPassword: pulumi.secret("s3cret-from-config") });
        assert.deepStrictEqual(mocks.ofType(T.password).map((r) => r.name).sort(), [
            "mysql-backup-password",
            "mysql-metrics-password",
            "mysql-replication-password",
        ]);
        assert.strictEqual(d.one(T.secret, "mysql-credentials").inputs.stringData["root-password"], "s3cret-from-config");
        const root = await resolveOutput(d.db.rootPassword);
        assert.deepStrictEqual(root, { value: "s3cret-from-config", secret: true });
    });

    it("generates nothing, and so needs no random provider, when all four passwords are given", async () => {
        const d = await deploy("mysql", {
            rootPassword: pulumi.secret("root-from-config"),
            replicationPassword: pulumi.secret("replication-from-config"),
            backupPassword: "backup-from-config",
            metricsPassword: pulumi.secret("metrics-from-config"),
        });
        assert.deepStrictEqual(mocks.resources.filter((r) => r.type.startsWith("random:")), []);
        const secret = d.one(T.secret, "mysql-credentials");
        assert.deepStrictEqual(secret.inputs.stringData, {
            "root-password": "root-from-config",
            "replication-password": "replication-from-config",
            "backup-password": "backup-from-config",
            "metrics-password": "metrics-from-config",
        });
        assert.deepStrictEqual(secret.secretPaths, ["stringData"], "the passwords are sent as a secret");
    });

    for (const [arg, value, problem] of [
        ["rootPassword", "short", "rootPassword must be at least 8 characters long"],
        [
            "replicationPassword",
            "r".repeat(33),
            "replicationPassword must be at most 32 characters long (the most a replica's CHANGE REPLICATION SOURCE TO accepts)",
        ],
        ["backupPassword", "with space", "backupPassword must not contain white space, quotes or backslashes"],
    ]) {
        it(`refuses a bad ${arg} given as an Output once its value is known, naming the arg`, async () => {
            mocks.reset();
            const db = new ReplicatedMySql("mysql", { [arg]: pulumi.secret(value) });
            // The Secret cannot be sent with a refused value, so its outputs fail with the reason.
            await assert.rejects(resolveOutput(db.passwordSecret), (err: Error) => {
                assert.ok(err.message.includes(`ReplicatedMySql "mysql" has invalid args: ${problem}`), err.message);
                assert.ok(!err.message.includes(value), "the message does not repeat the password");
                return true;
            });
        });
    }

    it("opens no port but 3306 on MySQL, whose replicas clone over it", async () => {
        const d = await deploy("mysql", { metrics: { enabled: false } });
        const ingress = d.one(T.networkPolicy, "mysql").inputs.spec.ingress;
        assert.deepStrictEqual(ingress.flatMap((rule: any) => rule.ports.map((p: any) => p.port)), [3306, 3306]);
    });

    it("lets chosen clients, by pod and namespace labels, reach 3306 and only peers reach MariaDB's 3307", async () => {
        const d = await deploy("mysql", {
            engine: "mariadb",
            clientAccess: { podLabels: { role: "api" }, namespaceLabels: { team: "shop" } },
        });
        const [peerRule, clientRule] = d.one(T.networkPolicy, "mysql").inputs.spec.ingress;
        assert.deepStrictEqual(peerRule.from, [{ podSelector: { matchLabels: { app: "mysql", "app.kubernetes.io/instance": "mysql" } } }]);
        assert.deepStrictEqual(peerRule.ports.map((p: any) => p.port), [3306, 3307]);
        assert.deepStrictEqual(clientRule.from, [
            { podSelector: { matchLabels: { role: "api" } }, namespaceSelector: { matchLabels: { team: "shop" } } },
        ]);
        assert.deepStrictEqual(clientRule.ports, [{ protocol: "TCP", port: 3306 }]);
    });

    it("by default lets every pod of its namespace reach 3306", async () => {
        const d = await deploy("mysql");
        const [, clientRule] = d.one(T.networkPolicy, "mysql").inputs.spec.ingress;
        assert.deepStrictEqual(clientRule.from, [{ podSelector: {} }]);
    });

    it("can leave the NetworkPolicy out, and delete volumes on scale-down when asked", async () => {
        const d = await deploy("mysql", { networkPolicy: false, volumeRetention: { whenScaled: "Delete" } });
        assert.strictEqual(mocks.ofType(T.networkPolicy).length, 0);
        assert.deepStrictEqual(d.statefulSet.spec.persistentVolumeClaimRetentionPolicy, {
            whenDeleted: "Retain",
            whenScaled: "Delete",
        });
    });

    it("keeps each pod's data claim as a resource, the template's twin, that survives its removal", async () => {
        const options = new Map<string, pulumi.ResourceOptions>();
        mocks.reset();
        const provider = new k8s.Provider("target", { kubeconfig: "{}" });
        const db = new ReplicatedMySql("mysql", { replicas: 3, storageClass: "fast", storageSize: "20Gi" }, {
            providers: [provider],
            transformations: [({ type, name, opts }) => {
                options.set(`${type} ${name}`, opts);
                return undefined;
            }],
        });
        await resolveOutput(db.primaryEndpoint);
        await mocks.settle();
        const template = mocks.find(T.statefulSet, "mysql").inputs.spec.volumeClaimTemplates[0];
        const claims = mocks.ofType(T.claim);
        assert.deepStrictEqual(claims.map((c) => c.inputs.metadata.name), ["data-mysql-0", "data-mysql-1", "data-mysql-2"]);
        for (const claim of claims) {
            // The name the StatefulSet controller looks for: <template>-<statefulSet>-<ordinal>.
            assert.deepStrictEqual(claim.inputs.spec, template.spec);
            assert.deepStrictEqual(claim.inputs.metadata.labels, template.metadata.labels);
            assert.deepStrictEqual(claim.inputs.metadata.annotations, {
                "pulumi.com/skipAwait": "true",
                "pulumi.com/patchForce": "true",
            });
            assert.strictEqual(options.get(`${T.claim} ${claim.name}`)?.retainOnDelete, true, `${claim.name} is retained`);
        }
        const statefulSetOptions = options.get(`${T.statefulSet} mysql`) as pulumi.CustomResourceOptions;
        assert.deepStrictEqual(statefulSetOptions.ignoreChanges, [STATEFUL_SET_CLAIM_SIZE]);
        assert.strictEqual(
            STATEFUL_SET_CLAIM_SIZE.replace(/\[0\]/, ".0").split(".").reduce((o: any, k) => o[k], mocks.find(T.statefulSet, "mysql").inputs),
            "20Gi",
            "the ignored path is the template's size",
        );
        const dependsOn = await Promise.all(
            (statefulSetOptions.dependsOn as pulumi.Resource[]).map((r) => resolveOutput(r.urn).then((u) => u.value)),
        );
        for (const claim of claims) {
            assert.ok(dependsOn.some((urn) => urn.endsWith(`::${claim.name}`)), `the StatefulSet waits for ${claim.name}`);
        }
    });

    it("gives every claim the new size when storageSize grows, new pods' claims included", async () => {
        const grown = await deploy("mysql", { replicas: 4, storageSize: "25Gi" });
        assert.deepStrictEqual(
            grown.byType(T.claim).map((c) => `${c.inputs.metadata.name}=${c.inputs.spec.resources.requests.storage}`),
            ["data-mysql-0=25Gi", "data-mysql-1=25Gi", "data-mysql-2=25Gi", "data-mysql-3=25Gi"],
        );
    });

    for (const [replicas, storageSize, seconds] of [
        [3, "10Gi", 1010], // 600 + 2 × ceil(10 GiB / 50 MiB/s = 204.8 s)
        [3, "100Gi", 4696], // 600 + 2 × 2048
        [5, "100Gi", 8792], // 600 + 4 × 2048
        [1, "500Gi", 600], // no replica to clone
    ] as const) {
        it(`waits ${seconds} s by default for ${replicas} pod(s) of ${storageSize}`, async () => {
            const d = await deploy("mysql", { replicas, storageSize });
            assert.strictEqual(d.statefulSet.metadata.annotations["pulumi.com/timeoutSeconds"], String(seconds));
            assert.strictEqual(defaultReadyTimeoutSeconds(replicas, storageSize), seconds);
        });
    }

    it("waits as long as readyTimeoutSeconds says", async () => {
        const d = await deploy("mysql", { readyTimeoutSeconds: 7200 });
        assert.strictEqual(d.statefulSet.metadata.annotations["pulumi.com/timeoutSeconds"], "7200");
    });

    for (const engine of ["mysql", "mariadb"] as const) {
        it(`gives every container of a ${engine} pod the binlog retention (7 days) and the readiness catch-up bound (2 s) by default`, async () => {
            const d = await deploy("mysql", { engine });
            const pod = d.statefulSet.spec.template.spec;
            for (const c of [...pod.initContainers, ...pod.containers.filter((c: any) => c.name !== "metrics")]) {
                const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
                assert.strictEqual(env.BINLOG_RETENTION_SECONDS, "604800", c.name);
                assert.strictEqual(env.READINESS_CATCH_UP_SECONDS, "2", c.name);
            }
            const mysql = pod.containers.find((c: any) => c.name === "mysql");
            // The probe waits up to the bound, and needs a few seconds besides; probes never overlap.
            assert.strictEqual(mysql.readinessProbe.timeoutSeconds, 4);
            assert.strictEqual(mysql.readinessProbe.periodSeconds, 5);
        });
    }

    it("passes binlogRetentionSeconds and readinessCatchUpSeconds to the pods, and times the probe out after the wait", async () => {
        const d = await deploy("mysql", { binlogRetentionSeconds: 86400, readinessCatchUpSeconds: 10 });
        const mysql = d.statefulSet.spec.template.spec.containers.find((c: any) => c.name === "mysql");
        const env = Object.fromEntries(mysql.env.map((e: any) => [e.name, e.value]));
        assert.strictEqual(env.BINLOG_RETENTION_SECONDS, "86400");
        assert.strictEqual(env.READINESS_CATCH_UP_SECONDS, "10");
        assert.strictEqual(mysql.readinessProbe.timeoutSeconds, 12);
        assert.strictEqual(mysql.readinessProbe.periodSeconds, 13);
    });

    it("rolls the pods when the scripts or configs change", async () => {
        const mysql = await deploy("mysql", { engine: "mysql" });
        const mysqlDigest = mysql.statefulSet.spec.template.metadata.annotations["replicated-mysql/config-digest"];
        const maria = await deploy("mysql", { engine: "mariadb" });
        const mariaDigest = maria.statefulSet.spec.template.metadata.annotations["replicated-mysql/config-digest"];
        assert.match(mysqlDigest, /^[0-9a-f]{16}$/);
        assert.notStrictEqual(mysqlDigest, mariaDigest);
    });
});

const SIZE_RULE = 'a Kubernetes quantity from "1Gi" to "64Ti", such as "10Gi" or "500Gi"';

describe("ReplicatedMySql argument checks", () => {
    before(() => useMocks());

    const cases: Array<[string, ReplicatedMySqlArgs, string]> = [
        ["zero replicas", { replicas: 0 }, "replicas must be a whole number from 1 to 32 (got 0)"],
        ["fractional replicas", { replicas: 2.5 }, "replicas must be a whole number from 1 to 32 (got 2.5)"],
        ["replicas as a string", { replicas: "3" as unknown as number }, 'replicas must be a whole number from 1 to 32 (got "3")'],
        // Refused, not attempted: 3000000000 pods hung the program, 99999999999 threw "Invalid array length".
        ["three billion replicas", { replicas: 3000000000 }, "replicas must be a whole number from 1 to 32 (got 3000000000)"],
        ["33 replicas", { replicas: 33 }, "replicas must be a whole number from 1 to 32 (got 33)"],
        ["a size that is not a quantity", { storageSize: "10GB" }, `storageSize must be ${SIZE_RULE} (got "10GB")`],
        ["a zero size", { storageSize: "0Gi" }, `storageSize must be ${SIZE_RULE} (got "0Gi")`],
        ["a one-byte size", { storageSize: "1" }, `storageSize must be ${SIZE_RULE} (got "1")`],
        ["a size just under 1Gi", { storageSize: "1023Mi" }, `storageSize must be ${SIZE_RULE} (got "1023Mi")`],
        ["a size over 64Ti", { storageSize: "65Ti" }, `storageSize must be ${SIZE_RULE} (got "65Ti")`],
        [
            "a wait under a minute",
            { readyTimeoutSeconds: 59 },
            "readyTimeoutSeconds must be a whole number of seconds from 60 to 2592000 (got 59)",
        ],
        [
            "a fractional wait",
            { readyTimeoutSeconds: 600.5 },
            "readyTimeoutSeconds must be a whole number of seconds from 60 to 2592000 (got 600.5)",
        ],
        [
            "a binlog retention under an hour",
            { binlogRetentionSeconds: 3599 },
            "binlogRetentionSeconds must be a whole number of seconds from 3600 (1 hour) to 8553600 (99 days) (got 3599)",
        ],
        [
            "a binlog retention that never expires",
            { binlogRetentionSeconds: 0 },
            "binlogRetentionSeconds must be a whole number of seconds from 3600 (1 hour) to 8553600 (99 days) (got 0)",
        ],
        [
            "a binlog retention past MariaDB's largest",
            { binlogRetentionSeconds: 8553601 },
            "binlogRetentionSeconds must be a whole number of seconds from 3600 (1 hour) to 8553600 (99 days) (got 8553601)",
        ],
        [
            "a fractional catch-up bound",
            { readinessCatchUpSeconds: 1.5 },
            "readinessCatchUpSeconds must be a whole number of seconds from 1 to 30 (got 1.5)",
        ],
        [
            "no catch-up wait at all",
            { readinessCatchUpSeconds: 0 },
            "readinessCatchUpSeconds must be a whole number of seconds from 1 to 30 (got 0)",
        ],
        [
            "a catch-up bound of a minute",
            { readinessCatchUpSeconds: 60 },
            "readinessCatchUpSeconds must be a whole number of seconds from 1 to 30 (got 60)",
        ],
        ["an unknown engine", { engine: "postgres" as Engine }, 'engine must be one of "mysql", "mariadb" (got "postgres")'],
        ["an untagged image", { image: "mysql" }, 'image must name a tag other than latest, or a digest (got "mysql")'],
        [
            "a latest backup image",
            { engine: "mariadb", backupImage: "mariadb:latest" },
            'backupImage must name a tag other than latest, or a digest (got "mariadb:latest")',
        ],
        [
            "a backup image with MySQL, which needs none",
            { backupImage: "percona/percona-xtrabackup:8.4" },
            'backupImage applies to engine "mariadb" only: engine "mysql" clones with the server image\'s CLONE plugin (got "percona/percona-xtrabackup:8.4")',
        ],
        ["a short root password", { rootPassword: "abc" }, "rootPassword must be at least 8 characters long (got a 3-character value)"],
        [
            "a root password with a quote",
            { rootPassword: "abc'defgh" },
            "rootPassword must not contain white space, quotes or backslashes (got a 9-character value)",
        ],
        [
            "a short replication password",
            { replicationPassword: "" },
            "replicationPassword must be at least 8 characters long (got a 0-character value)",
        ],
        [
            "a replication password longer than MySQL accepts",
            { replicationPassword: "r".repeat(33) },
            "replicationPassword must be at most 32 characters long (the most a replica's CHANGE REPLICATION SOURCE TO accepts) " +
                "(got a 33-character value)",
        ],
        [
            "an 11-character metrics password with a space",
            { metricsPassword: "hello world" },
            "metricsPassword must not contain white space, quotes or backslashes (got an 11-character value)",
        ],
        [
            "a backup password with a backslash",
            { backupPassword: "abc\\defgh" },
            "backupPassword must not contain white space, quotes or backslashes (got a 9-character value)",
        ],
        [
            "an unknown retention",
            { volumeRetention: { whenScaled: "Keep" as "Retain" } },
            'volumeRetention.whenScaled must be "Retain" or "Delete" (got "Keep")',
        ],
        [
            "a too short grace period",
            { terminationGracePeriodSeconds: 1 },
            "terminationGracePeriodSeconds must be a whole number of at least 10 (got 1)",
        ],
    ];
    for (const [what, args, message] of cases) {
        it(`refuses ${what} before registering anything`, async () => {
            mocks.reset();
            assert.throws(
                () => new ReplicatedMySql("mysql", args),
                (err: unknown) => {
                    assert.ok(err instanceof InvalidArgsError, `expected an InvalidArgsError, got ${String(err)}`);
                    // What `pulumi up` prints as the message alone, without a stack trace.
                    assert.ok(pulumi.RunError.isInstance(err), "an InvalidArgsError is a pulumi.RunError");
                    assert.strictEqual(err.message, `ReplicatedMySql "mysql" has invalid args: ${message}`);
                    return true;
                },
            );
            await mocks.settle();
            assert.deepStrictEqual(mocks.resources, []);
        });
    }

    it("names every bad arg in one message", () => {
        assert.throws(() => new ReplicatedMySql("mysql", { replicas: -1, engine: "oracle" as Engine, storageSize: "big" }), {
            message:
                'ReplicatedMySql "mysql" has invalid args: replicas must be a whole number from 1 to 32 (got -1); ' +
                'engine must be one of "mysql", "mariadb" (got "oracle"); ' +
                `storageSize must be ${SIZE_RULE} (got "big")`,
        });
    });

    it("gives a password's length with the article its spoken number takes", () => {
        const phrases = [0, 1, 5, 8, 11, 18, 21, 80, 88, 110, 118, 800, 1100, 8000, 11000, 18500, 110000].map(characterCount);
        assert.deepStrictEqual(phrases, [
            "a 0-character",
            "a 1-character",
            "a 5-character",
            "an 8-character",
            "an 11-character",
            "an 18-character",
            "a 21-character",
            "an 80-character",
            "an 88-character",
            "a 110-character",
            "a 118-character",
            "an 800-character",
            "a 1100-character",
            "an 8000-character",
            "an 11000-character",
            "an 18500-character",
            "a 110000-character",
        ]);
    });

    it("refuses a name that cannot name pods", () => {
        assert.throws(() => new ReplicatedMySql("My_DB", {}), /name must be a DNS label of at most 52 characters/);
        assert.throws(() => new ReplicatedMySql("m".repeat(53), {}), /name must be a DNS label of at most 52 characters/);
    });
});

describe("the strict schema check itself", () => {
    const valid = {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "x" },
        spec: { ports: [{ port: 3306 }], clusterIP: "None" },
    };
    it("accepts a valid object", async () => {
        assert.deepStrictEqual(await schemaProblems("kubernetes:core/v1:Service", valid), []);
    });
    it("rejects a misspelled field deep in a pod template", async () => {
        const sts = {
            apiVersion: "apps/v1",
            kind: "StatefulSet",
            metadata: { name: "x" },
            spec: {
                selector: { matchLabels: { a: "b" } },
                serviceName: "x",
                template: { spec: { containers: [{ name: "c", image: "i:1", readynessProbe: {} }] } },
            },
        };
        assert.deepStrictEqual(await schemaProblems("kubernetes:apps/v1:StatefulSet", sts), [
            "StatefulSet.spec.template.spec.containers[0].readynessProbe: unknown field (not in V1Container)",
        ]);
    });
    it("rejects a wrong type, a missing required field and a value outside an enum", async () => {
        const problems = await schemaProblems("kubernetes:core/v1:Service", {
            ...valid,
            spec: { ports: [{ port: "3306" }, {}], type: "Sideways" },
        });
        assert.ok(problems.some((p) => p.startsWith("Service.spec.ports.0.port: type")), problems.join("\n"));
        assert.ok(problems.some((p) => p.includes('"missingProperty":"port"')), problems.join("\n"));
        assert.ok(problems.some((p) => p.startsWith("Service.spec.type: enum")), problems.join("\n"));
    });
});
