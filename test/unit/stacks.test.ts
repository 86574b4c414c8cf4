import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_DEFAULTS, OPTIONAL_CONFIG_KEYS } from "../../stack/config";
import { RecordedResource, STACK_REFERENCE, mocks } from "../helpers/mocks";
import {
    KUBECONFIG_TEXT,
    LAST_DEPLOYMENT,
    ProgramRun,
    REPO_ROOT,
    STACKS,
    StackName,
    runProgram,
    stackConfig,
    writeKubeconfig,
} from "../helpers/program";

/**
 * The check for a refused stack config as `pulumi up` shows it: a `pulumi.RunError`, which the
 * SDK prints as its message alone, not as an "unhandled exception" with a stack trace.
 */
function configError(message: string): (err: unknown) => boolean {
    return (err) => {
        assert.ok(pulumi.RunError.isInstance(err), `expected a pulumi.RunError, got ${String(err)}`);
        assert.strictEqual((err as Error).message, message);
        return true;
    };
}

const T = {
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
    namespace: "kubernetes:core/v1:Namespace",
    k8sProvider: "pulumi:providers:kubernetes",
    eksCluster: "eks:index:Cluster",
    addon: "aws:eks/addon:Addon",
    role: "aws:iam/role:Role",
    attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    subnet: "aws:ec2/subnet:Subnet",
    randomPassword: "random:index/randomPassword:RandomPassword",
};

/** The resources of `type` the run registered (reads of existing objects aside). */
function only(run: ProgramRun, type: string): RecordedResource[] {
    return run.resources.filter((r) => r.type === type && !r.read);
}

/** The objects of `type` the run read (`Resource.get`, a StackReference). */
function reads(run: ProgramRun, type: string): RecordedResource[] {
    return run.resources.filter((r) => r.type === type && r.read);
}

function claimOf(run: ProgramRun): { storageClassName?: string; resources: { requests: { storage: string } } } {
    const [sts] = only(run, T.statefulSet);
    return sts.inputs.spec.volumeClaimTemplates[0].spec;
}

/** Provider reference → provider resource name, e.g. `urn:…::minikube::id` → `minikube`. */
function providerName(ref: string | undefined): string | undefined {
    return ref?.split("::")[3];
}

const EXPECTED_OUTPUTS = [
    "engine",
    "namespace",
    "passwordSecret",
    "primaryEndpoint",
    "readEndpoint",
    "replicaEndpoints",
    "rootPassword",
    "storageClass",
    "storageSize",
];

/** A kubeconfig file as local:up generates one. */
const KUBECONFIG_FILE = writeKubeconfig();

describe("the program, run per stack file", () => {
    const runs = {} as Record<StackName, ProgramRun>;
    before(async () => {
        for (const stack of STACKS) runs[stack] = await runProgram(stackConfig(stack));
    });

    for (const stack of STACKS) {
        it(`${stack}: registers every custom resource with an explicit, non-default provider`, () => {
            // The StackReference is the engine's own read, which default providers do not concern.
            const custom = runs[stack].resources.filter(
                (r) => r.custom && !r.type.startsWith("pulumi:providers:") && r.type !== STACK_REFERENCE,
            );
            assert.ok(custom.length > 0);
            for (const r of custom) {
                assert.ok(r.provider, `${r.type} ${r.name} has a provider`);
                assert.doesNotMatch(r.provider as string, /::default(_|::)/, `${r.type} ${r.name} avoids default providers`);
            }
            const k8sProviders = new Set(
                custom.filter((r) => r.type.startsWith("kubernetes:")).map((r) => providerName(r.provider)),
            );
            assert.strictEqual(k8sProviders.size, 1, "one Kubernetes provider for every Kubernetes object");
        });

        it(`${stack}: deploys the database into its namespace and exports every output`, () => {
            const run = runs[stack];
            assert.deepStrictEqual(
                only(run, T.namespace).map((r) => r.inputs.metadata.name),
                ["mysql"],
            );
            const expected = stack === "eks" ? [...EXPECTED_OUTPUTS, "clusterName", "kubeconfig"].sort() : EXPECTED_OUTPUTS;
            assert.deepStrictEqual(Object.keys(run.outputs).sort(), expected);
            assert.strictEqual(run.outputs.primaryEndpoint, "mysql-0.mysql.mysql.svc.cluster.local:3306");
            assert.strictEqual(run.outputs.readEndpoint, "mysql-read.mysql.svc.cluster.local:3306");
            assert.deepStrictEqual(run.outputs.replicaEndpoints, [
                "mysql-1.mysql.mysql.svc.cluster.local:3306",
                "mysql-2.mysql.mysql.svc.cluster.local:3306",
            ]);
            assert.strictEqual(run.outputs.namespace, "mysql");
            assert.strictEqual(run.outputs.passwordSecret, "mysql-credentials");
            assert.match(run.outputs.rootPassword as string, /^\S{16,}$/);
            assert.deepStrictEqual(
                run.secretOutputs.sort(),
                stack === "eks" ? ["kubeconfig", "rootPassword"] : ["rootPassword"],
            );
            assert.strictEqual(claimOf(run).resources.requests.storage, "10Gi");
            assert.strictEqual(run.outputs.storageSize, "10Gi");
            assert.strictEqual(only(run, T.statefulSet)[0].inputs.spec.replicas, 3);
            // No password in the stack file: all three are generated with an explicit random provider.
            assert.strictEqual(only(run, T.randomPassword).length, 4);
            assert.strictEqual(only(run, "pulumi:providers:random").length, 1);
        });
    }

    it("dev (minikube): provisions nothing, targets the minikube context and uses the standard class", () => {
        const run = runs.dev;
        assert.deepStrictEqual(only(run, T.storageClass), []);
        assert.ok(!run.resources.some((r) => r.type.startsWith("aws:") || r.type.startsWith("eks:")));
        const [provider] = only(run, T.k8sProvider);
        assert.strictEqual(provider.inputs.context, "minikube");
        assert.strictEqual(provider.inputs.kubeconfig, undefined, "the ambient kubeconfig");
        assert.strictEqual(claimOf(run).storageClassName, "standard");
        assert.strictEqual(run.outputs.storageClass, "standard");
    });

    it("local (Pulumi.local.yaml, as local:up completes it): the node's class, its images, 200m per server", async () => {
        const config = stackConfig("local" as StackName);
        Object.assign(config, {
            "replicated-mysql:kubeconfig": KUBECONFIG_FILE,
            "replicated-mysql:image": "localhost/replicated-mysql/mysql:9.7.4-debian",
            "replicated-mysql:metricsImage": "localhost/replicated-mysql/mysqld-exporter:v0.19.0",
        });
        const run = await runProgram(config);
        const [provider] = only(run, T.k8sProvider);
        assert.strictEqual(provider.inputs.kubeconfig, KUBECONFIG_FILE, "the path, which the provider reads");
        assert.strictEqual(claimOf(run).storageClassName, "local-node");
        const [sts] = only(run, T.statefulSet);
        const pod = sts.inputs.spec.template.spec;
        const images = Object.fromEntries(
            [...pod.initContainers, ...pod.containers].map((c: { name: string; image: string }) => [c.name, c.image]),
        );
        assert.deepStrictEqual(images, {
            "init-config": "localhost/replicated-mysql/mysql:9.7.4-debian",
            "clone-from-peer": "localhost/replicated-mysql/mysql:9.7.4-debian",
            mysql: "localhost/replicated-mysql/mysql:9.7.4-debian",
            metrics: "localhost/replicated-mysql/mysqld-exporter:v0.19.0",
        });
        const server = pod.containers.find((c: { name: string }) => c.name === "mysql");
        assert.deepStrictEqual(server.resources, { requests: { cpu: "200m", memory: "1Gi" }, limits: { memory: "2Gi" } });
    });

    it("linstor: creates the LINSTOR StorageClass from the pool settings and uses it", () => {
        const run = runs.linstor;
        const classes = only(run, T.storageClass);
        assert.strictEqual(classes.length, 1);
        assert.deepStrictEqual(classes[0].inputs, {
            apiVersion: "storage.k8s.io/v1",
            kind: "StorageClass",
            metadata: { name: "linstor-csi-lvm-thin-r1" },
            provisioner: "linstor.csi.linbit.com",
            volumeBindingMode: "WaitForFirstConsumer",
            allowVolumeExpansion: true,
            reclaimPolicy: "Retain",
            parameters: {
                "linstor.csi.linbit.com/storagePool": "lvm-thin",
                "linstor.csi.linbit.com/placementCount": "1",
                "csi.storage.k8s.io/fstype": "ext4",
            },
        });
        assert.strictEqual(claimOf(run).storageClassName, "linstor-csi-lvm-thin-r1");
        assert.strictEqual(run.outputs.storageClass, "linstor-csi-lvm-thin-r1");
        assert.ok(!run.resources.some((r) => r.type.startsWith("aws:") || r.type.startsWith("eks:")));
    });

    it("eks: provisions the cluster over three zones, the EBS CSI add-on with its IAM, and the gp2 class", () => {
        const run = runs.eks;
        const [cluster] = only(run, T.eksCluster);
        assert.strictEqual(cluster.inputs.instanceType, "t3.large");
        assert.strictEqual(cluster.inputs.desiredCapacity, 3);
        assert.strictEqual(cluster.inputs.version, "1.34");
        assert.strictEqual(cluster.inputs.publicSubnetIds.length, 3);
        const zones = only(run, T.subnet).map((s) => s.inputs.availabilityZone);
        assert.deepStrictEqual(zones, ["us-west-2a", "us-west-2b", "us-west-2c"]);

        const addons = only(run, T.addon).map((a) => a.inputs.addonName).sort();
        assert.deepStrictEqual(addons, ["aws-ebs-csi-driver", "eks-pod-identity-agent"]);
        const csi = only(run, T.addon).find((a) => a.inputs.addonName === "aws-ebs-csi-driver") as RecordedResource;
        const [role] = only(run, T.role);
        assert.deepStrictEqual(csi.inputs.podIdentityAssociations, [
            { roleArn: `arn:aws:iam::123456789012:role/${role.name}`, serviceAccount: "ebs-csi-controller-sa" },
        ]);
        const trust = JSON.parse(role.inputs.assumeRolePolicy);
        assert.strictEqual(trust.Statement[0].Principal.Service, "pods.eks.amazonaws.com");
        assert.deepStrictEqual(
            only(run, T.attachment).map((a) => a.inputs.policyArn),
            ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"],
        );

        const [storageClass] = only(run, T.storageClass);
        assert.strictEqual(storageClass.inputs.metadata.name, "mysql-gp2");
        assert.strictEqual(storageClass.inputs.provisioner, "ebs.csi.aws.com");
        assert.strictEqual(storageClass.inputs.volumeBindingMode, "WaitForFirstConsumer");
        assert.strictEqual(storageClass.inputs.allowVolumeExpansion, true);
        assert.deepStrictEqual(storageClass.inputs.parameters, {
            type: "gp2",
            encrypted: "true",
            "csi.storage.k8s.io/fstype": "ext4",
        });
        assert.strictEqual(claimOf(run).storageClassName, "mysql-gp2");

        // The Kubernetes provider is built from the new cluster's kubeconfig, never the ambient one.
        const [provider] = only(run, T.k8sProvider);
        assert.match(provider.inputs.kubeconfig, /"kind":"Config"/);
        assert.strictEqual(run.outputs.kubeconfig, provider.inputs.kubeconfig);
        assert.strictEqual(run.outputs.clusterName, "mysql-eks");
        const [awsProvider] = only(run, "pulumi:providers:aws");
        assert.strictEqual(awsProvider.inputs.region, "us-west-2");
    });
});

describe("the program with other settings", () => {
    it("eks with gp3 creates and uses mysql-gp3", async () => {
        const run = await runProgram({ ...stackConfig("eks"), "replicated-mysql:ebsVolumeType": "gp3" });
        const [storageClass] = only(run, T.storageClass);
        assert.strictEqual(storageClass.inputs.metadata.name, "mysql-gp3");
        assert.strictEqual(storageClass.inputs.parameters.type, "gp3");
        assert.strictEqual(claimOf(run).storageClassName, "mysql-gp3");
    });

    it("linstor with an existing class creates no class and uses the named one", async () => {
        const config: Record<string, string> = { ...stackConfig("linstor"), "replicated-mysql:storageClass": "piraeus-ssd" };
        delete config["replicated-mysql:linstorStoragePool"];
        const run = await runProgram(config, [], {
            [`${T.storageClass}::piraeus-ssd`]: { metadata: { name: "piraeus-ssd" }, provisioner: "linstor.csi.linbit.com" },
        });
        assert.deepStrictEqual(only(run, T.storageClass), []);
        assert.strictEqual(claimOf(run).storageClassName, "piraeus-ssd");
    });

    it("scales with the replicas key, and uses the storage settings and engine it is given", async () => {
        const run = await runProgram({
            ...stackConfig("dev"),
            "replicated-mysql:replicas": "5",
            "replicated-mysql:storageSize": "50Gi",
            "replicated-mysql:engine": "mariadb",
        });
        const [sts] = only(run, T.statefulSet);
        assert.strictEqual(sts.inputs.spec.replicas, 5);
        assert.strictEqual(claimOf(run).resources.requests.storage, "50Gi");
        assert.strictEqual(sts.inputs.spec.template.spec.containers[0].image, "mariadb:10.11");
        assert.strictEqual((run.outputs.replicaEndpoints as string[]).length, 4);
    });

    it("uses a root password set with `pulumi config set --secret`, and keeps it secret", async () => {
        const run = await runProgram(
            { ...stackConfig("dev"), "replicated-mysql:rootPassword": "correct-horse-battery" },
            ["replicated-mysql:rootPassword"],
        );
        const secret = run.resources.find((r) => r.type === "kubernetes:core/v1:Secret") as RecordedResource;
        assert.strictEqual(secret.inputs.stringData["root-password"], "correct-horse-battery");
        assert.strictEqual(run.outputs.rootPassword, "correct-horse-battery");
        assert.ok(run.secretOutputs.includes("rootPassword"));
        // The other three are still generated, so the random provider is still needed.
        assert.strictEqual(only(run, "pulumi:providers:random").length, 1);
        assert.deepStrictEqual(only(run, T.randomPassword).map((r) => r.name).sort(), [
            "mysql-backup-password",
            "mysql-metrics-password",
            "mysql-replication-password",
        ]);
    });

    it("with all four passwords in config, registers no random provider or resource at all", async () => {
        const passwords = {
            "replicated-mysql:rootPassword": "root-pw-from-config",
            "replicated-mysql:replicationPassword": "replication-pw-from-config",
            "replicated-mysql:backupPassword": "backup-pw-from-config",
            "replicated-mysql:metricsPassword": "metrics-pw-from-config",
        };
        const run = await runProgram({ ...stackConfig("dev"), ...passwords }, Object.keys(passwords));
        assert.deepStrictEqual(
            run.resources.filter((r) => r.type.startsWith("random:") || r.type === "pulumi:providers:random"),
            [],
        );
        const secret = run.resources.find((r) => r.type === "kubernetes:core/v1:Secret") as RecordedResource;
        assert.deepStrictEqual(secret.inputs.stringData, {
            "root-password": "root-pw-from-config",
            "replication-password": "replication-pw-from-config",
            "backup-password": "backup-pw-from-config",
            "metrics-password": "metrics-pw-from-config",
        });
        assert.ok(secret.secretPaths.some((p) => p.startsWith("stringData")), "the passwords stay secret");
    });

    it("hands a kubeconfig's inline contents (YAML or JSON) to the provider as they are", async () => {
        const contents = [
            KUBECONFIG_TEXT,
            JSON.stringify(yaml.load(KUBECONFIG_TEXT)),
            "apiVersion: v1\ncontexts: [{name: minikube}]\ncurrent-context: minikube",
        ];
        for (const kubeconfig of contents) {
            for (const stack of ["dev", "linstor"] as const) {
                const run = await runProgram({ ...stackConfig(stack), "replicated-mysql:kubeconfig": kubeconfig });
                const [provider] = only(run, T.k8sProvider);
                assert.strictEqual(provider.inputs.kubeconfig, kubeconfig);
            }
        }
    });

    it("can deploy into a namespace that already exists", async () => {
        const run = await runProgram({
            ...stackConfig("dev"),
            "replicated-mysql:namespace": "shop",
            "replicated-mysql:createNamespace": "false",
        });
        assert.deepStrictEqual(only(run, T.namespace), []);
        assert.strictEqual(only(run, T.statefulSet)[0].inputs.metadata.namespace, "shop");
        assert.strictEqual(run.outputs.primaryEndpoint, "mysql-0.mysql.shop.svc.cluster.local:3306");
    });

    it("passes binlogRetentionSeconds and readinessCatchUpSeconds to every pod, with the component's defaults when unset", async () => {
        const env = (run: Awaited<ReturnType<typeof runProgram>>) => {
            const mysql = only(run, T.statefulSet)[0].inputs.spec.template.spec.containers.find((c: any) => c.name === "mysql");
            return Object.fromEntries(mysql.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
        };
        const defaults = env(await runProgram(stackConfig("dev")));
        assert.strictEqual(defaults.BINLOG_RETENTION_SECONDS, "604800");
        assert.strictEqual(defaults.READINESS_CATCH_UP_SECONDS, "2");
        const set = env(await runProgram({
            ...stackConfig("dev"),
            "replicated-mysql:binlogRetentionSeconds": "86400",
            "replicated-mysql:readinessCatchUpSeconds": "5",
        }));
        assert.strictEqual(set.BINLOG_RETENTION_SECONDS, "86400");
        assert.strictEqual(set.READINESS_CATCH_UP_SECONDS, "5");
    });

    it("runs the metrics container by default, and not with metrics set to false", async () => {
        const containers = (run: Awaited<ReturnType<typeof runProgram>>) =>
            only(run, T.statefulSet)[0].inputs.spec.template.spec.containers.map((c: any) => c.name);
        assert.deepStrictEqual(containers(await runProgram(stackConfig("dev"))), ["mysql", "metrics"]);
        const off = await runProgram({ ...stackConfig("dev"), "replicated-mysql:metrics": "false" });
        assert.deepStrictEqual(containers(off), ["mysql"]);
    });
});

describe("bad stack config", () => {
    const KUBECONFIG_RULE = "a path to a readable kubeconfig file, or the contents of a kubeconfig";
    const SIZE = 'a Kubernetes quantity from "1Gi" to "64Ti", such as "10Gi" or "500Gi"';
    const cases: Array<[string, StackName, Record<string, string | undefined>, string]> = [
        ["an unknown cluster", "dev", { cluster: "gke" }, 'replicated-mysql:cluster is "gke"; allowed: minikube, linstor, eks'],
        ["an unknown engine", "dev", { engine: "postgres" }, 'replicated-mysql:engine is "postgres"; allowed: mysql, mariadb'],
        ["metrics as a word", "dev", { metrics: "yes" }, 'replicated-mysql:metrics is "yes"; allowed: true or false'],
        ["zero replicas", "dev", { replicas: "0" }, 'replicated-mysql:replicas is "0"; allowed: a whole number from 1 to 32'],
        ["fractional replicas", "dev", { replicas: "2.5" }, 'replicated-mysql:replicas is "2.5"; allowed: a whole number from 1 to 32'],
        ["words for replicas", "dev", { replicas: "three" }, 'replicated-mysql:replicas is "three"; allowed: a whole number from 1 to 32'],
        // These two hung the program and threw "Invalid array length".
        [
            "three billion replicas",
            "dev",
            { replicas: "3000000000" },
            'replicated-mysql:replicas is "3000000000"; allowed: a whole number from 1 to 32',
        ],
        [
            "a hundred billion replicas",
            "dev",
            { replicas: "99999999999" },
            'replicated-mysql:replicas is "99999999999"; allowed: a whole number from 1 to 32',
        ],
        ["a malformed storage size", "dev", { storageSize: "10GB" }, `replicated-mysql:storageSize is "10GB"; allowed: ${SIZE}`],
        // Accepted before as a 1-byte volume.
        ["a storage size of 1 byte", "dev", { storageSize: "1" }, `replicated-mysql:storageSize is "1"; allowed: ${SIZE}`],
        ["a storage size over 64Ti", "dev", { storageSize: "100Ti" }, `replicated-mysql:storageSize is "100Ti"; allowed: ${SIZE}`],
        [
            "a wait under a minute",
            "dev",
            { readyTimeoutSeconds: "30" },
            'replicated-mysql:readyTimeoutSeconds is "30"; allowed: a whole number of seconds from 60 to 2592000',
        ],
        [
            "a wait in minutes",
            "dev",
            { readyTimeoutSeconds: "20m" },
            'replicated-mysql:readyTimeoutSeconds is "20m"; allowed: a whole number of seconds from 60 to 2592000',
        ],
        [
            "a binlog retention in days",
            "dev",
            { binlogRetentionSeconds: "7d" },
            'replicated-mysql:binlogRetentionSeconds is "7d"; allowed: a whole number of seconds from 3600 (1 hour) to 8553600 (99 days)',
        ],
        [
            "a binlog retention of a minute",
            "dev",
            { binlogRetentionSeconds: "60" },
            'replicated-mysql:binlogRetentionSeconds is "60"; allowed: a whole number of seconds from 3600 (1 hour) to 8553600 (99 days)',
        ],
        [
            "a catch-up bound of zero",
            "dev",
            { readinessCatchUpSeconds: "0" },
            'replicated-mysql:readinessCatchUpSeconds is "0"; allowed: a whole number of seconds from 1 to 30',
        ],
        [
            "a linstor stack with neither a class nor a pool",
            "linstor",
            { linstorStoragePool: undefined },
            "replicated-mysql:linstorStoragePool is not set and neither is replicated-mysql:storageClass; allowed: " +
                "set linstorStoragePool (and optionally linstorPlacementCount) so the stack creates the LINSTOR " +
                "StorageClass, or set storageClass to an existing class",
        ],
        [
            "six LINSTOR copies of every volume",
            "linstor",
            { linstorPlacementCount: "6" },
            'replicated-mysql:linstorPlacementCount is "6"; allowed: a whole number from 1 to 5',
        ],
        ["an unknown EBS type", "eks", { ebsVolumeType: "io2" }, 'replicated-mysql:ebsVolumeType is "io2"; allowed: gp2, gp3'],
        [
            "two EKS nodes",
            "eks",
            { eksNodeCount: "2" },
            'replicated-mysql:eksNodeCount is "2"; allowed: a whole number from 3 to 50 (spread over three zones)',
        ],
        [
            "an EKS version EKS does not offer",
            "eks",
            { eksKubernetesVersion: "1.99" },
            'replicated-mysql:eksKubernetesVersion is "1.99"; allowed: 1.32, 1.33, 1.34, 1.35, 1.36',
        ],
        [
            "an empty EKS instance type",
            "eks",
            { eksInstanceType: "" },
            'replicated-mysql:eksInstanceType is ""; allowed: an EC2 instance type such as "t3.large" or "m7g.xlarge"',
        ],
        [
            "a bad namespace",
            "dev",
            { namespace: "My_NS" },
            `replicated-mysql:namespace is "My_NS"; allowed: a DNS label (lower-case letters, digits and '-', at most 63 characters)`,
        ],
        [
            "kube-system as a namespace the stack creates",
            "dev",
            { namespace: "kube-system", createNamespace: "true" },
            'replicated-mysql:namespace is "kube-system"; allowed: with createNamespace true, a namespace the stack ' +
                "creates and owns, not default or kube-* (set createNamespace false to deploy into a namespace that exists)",
        ],
        [
            "default as a namespace the stack creates",
            "dev",
            { namespace: "default" },
            'replicated-mysql:namespace is "default"; allowed: with createNamespace true, a namespace the stack ' +
                "creates and owns, not default or kube-* (set createNamespace false to deploy into a namespace that exists)",
        ],
        ["an empty context", "dev", { context: "" }, 'replicated-mysql:context is ""; allowed: the name of a context of the kubeconfig'],
        // Read by the provider as a kubeconfig's contents before, and refused with a parse error
        // naming neither the key nor the path.
        [
            "a kubeconfig path that names no file",
            "dev",
            { kubeconfig: "/nonexistent/kubeconfig" },
            `replicated-mysql:kubeconfig is "/nonexistent/kubeconfig"; allowed: ${KUBECONFIG_RULE} (no file at /nonexistent/kubeconfig)`,
        ],
        [
            "a kubeconfig path under ~ that names no file, with the path the provider would read",
            "linstor",
            { kubeconfig: "~/.kube/no-such-linstor-config" },
            `replicated-mysql:kubeconfig is "~/.kube/no-such-linstor-config"; allowed: ${KUBECONFIG_RULE} ` +
                `(no file at ${path.join(os.userInfo().homedir, ".kube/no-such-linstor-config")})`,
        ],
        [
            "a relative kubeconfig path that names no file, with the path it resolves to",
            "dev",
            { kubeconfig: "kubeconfig.yaml" },
            `replicated-mysql:kubeconfig is "kubeconfig.yaml"; allowed: ${KUBECONFIG_RULE} (no file at ${path.resolve("kubeconfig.yaml")})`,
        ],
        [
            "a kubeconfig path that names a directory",
            "dev",
            { kubeconfig: os.tmpdir() },
            `replicated-mysql:kubeconfig is ${JSON.stringify(os.tmpdir())}; allowed: ${KUBECONFIG_RULE} (${path.resolve(os.tmpdir())} is not a file)`,
        ],
        // Silently ignored before.
        [
            "a misspelt key",
            "dev",
            { replica: "5" },
            "replicated-mysql:replica is not a key of this project; did you mean replicated-mysql:replicas? " +
                "(pulumi config rm replica, then set replicas)",
        ],
        [
            "a misspelt password key, without showing its value",
            "dev",
            { rootPasword: "s3cret-value" },
            "replicated-mysql:rootPasword is not a key of this project; did you mean replicated-mysql:rootPassword? " +
                "(pulumi config rm rootPasword, then set rootPassword)",
        ],
        [
            "a key like none of ours",
            "dev",
            { colour: "blue" },
            "replicated-mysql:colour is not a key of this project; allowed: cluster, namespace, createNamespace, metrics, replicas, " +
                "engine, storageSize, checkStorageClass, linstorPlacementCount, ebsVolumeType, eksInstanceType, eksNodeCount, eksKubernetesVersion, " +
                "binlogRetentionSeconds, readinessCatchUpSeconds, storageClass, readyTimeoutSeconds, rootPassword, replicationPassword, backupPassword, metricsPassword, kubeconfig, " +
                "context, linstorStoragePool, image, backupImage, metricsImage, cpuRequest",
        ],
        [
            "a CPU request that is not a quantity",
            "dev",
            { cpuRequest: "200 millicores" },
            'replicated-mysql:cpuRequest is "200 millicores"; allowed: a CPU quantity such as "200m" or "0.5"',
        ],
        [
            "an empty image",
            "dev",
            { image: " " },
            'replicated-mysql:image is " "; allowed: an image reference such as localhost/replicated-mysql/mysql:9.7.4-debian',
        ],
    ];
    for (const [what, stack, changes, message] of cases) {
        it(`refuses ${what} before registering anything`, async () => {
            const config = stackConfig(stack);
            for (const [key, value] of Object.entries(changes)) {
                if (value === undefined) delete config[`replicated-mysql:${key}`];
                else config[`replicated-mysql:${key}`] = value;
            }
            await assert.rejects(runProgram(config), configError(`Invalid stack config: ${message}`));
            await mocks.settle();
            assert.deepStrictEqual(mocks.resources, []);
        });
    }

    for (const [key, value, length, allowed] of [
        ["rootPassword", "short", "a 5-character", "at least 8 characters, without white space, quotes or backslashes"],
        ["replicationPassword", "r".repeat(33), "a 33-character", "8 to 32 characters, without white space, quotes or backslashes"],
        ["backupPassword", "it's-a-secret", "a 13-character", "at least 8 characters, without white space, quotes or backslashes"],
        ["metricsPassword", "hello world", "an 11-character", "at least 8 characters, without white space, quotes or backslashes"],
    ]) {
        it(`refuses a bad ${key} from config before registering anything, without printing it`, async () => {
            const config = { ...stackConfig("dev"), [`replicated-mysql:${key}`]: value };
            await assert.rejects(
                runProgram(config, [`replicated-mysql:${key}`]),
                configError(`Invalid stack config: replicated-mysql:${key} is ${length} secret; allowed: ${allowed}`),
            );
            await mocks.settle();
            assert.deepStrictEqual(mocks.resources, []);
        });
    }

    it("refuses an eks stack without a region", async () => {
        const config = stackConfig("eks");
        delete config["aws:region"];
        await assert.rejects(runProgram(config), {
            message:
                "Invalid stack config: aws:region is not set; allowed: an AWS region such as us-west-2 " +
                "(pulumi config set aws:region us-west-2)",
        });
    });

    it("names every bad key in one message", async () => {
        const config = { ...stackConfig("dev"), "replicated-mysql:cluster": "kind", "replicated-mysql:replicas": "-1" };
        await assert.rejects(runProgram(config), {
            message:
                'Invalid stack config: replicated-mysql:cluster is "kind"; allowed: minikube, linstor, eks; ' +
                'replicated-mysql:replicas is "-1"; allowed: a whole number from 1 to 32',
        });
    });
});

describe("a kubeconfig the stack names is read before anything is registered", () => {
    const RULE = "a path to a readable kubeconfig file, or the contents of a kubeconfig";
    const cases: [string, Record<string, string | undefined>, RegExp][] = [
        [
            "a file that is not YAML",
            { kubeconfig: writeKubeconfig("garbage", "clusters: [unclosed\n\tkey: : :\n") },
            new RegExp(`^Invalid stack config: replicated-mysql:kubeconfig is ".*garbage"; allowed: ${RULE} \\(/.*garbage is not YAML \\(.+ at line \\d+\\)\\)$`),
        ],
        [
            "a file that is YAML but no kubeconfig (a certificate's PEM text)",
            { kubeconfig: writeKubeconfig("ca.crt", "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n") },
            new RegExp(`^Invalid stack config: replicated-mysql:kubeconfig is ".*ca\\.crt"; allowed: ${RULE} \\(/.*ca\\.crt is not a kubeconfig \\(not a YAML mapping\\)\\)$`),
        ],
        [
            "a file without contexts",
            { kubeconfig: writeKubeconfig("empty", "apiVersion: v1\nkind: Config\n") },
            /^Invalid stack config: replicated-mysql:kubeconfig is ".*empty"; allowed: .* \(\/.*empty is not a kubeconfig with a context \(no contexts\)\)$/,
        ],
        [
            "a context the file does not hold, listing those it does",
            { kubeconfig: KUBECONFIG_FILE, context: "minikub" },
            /^Invalid stack config: replicated-mysql:context is "minikub"; allowed: the name of a context of the kubeconfig \(its contexts: local-e2e, minikube\)$/,
        ],
        [
            "a file whose current-context it does not hold, when context is not set",
            { kubeconfig: writeKubeconfig("stale", KUBECONFIG_TEXT.replace("current-context: local-e2e", "current-context: old")), context: undefined },
            /^Invalid stack config: replicated-mysql:kubeconfig is ".*stale"; allowed: .* \(\/.*stale names current-context "old", which it does not hold \(its contexts: local-e2e, minikube\)\)$/,
        ],
        [
            "inline contents that are not YAML, without quoting them (they may hold credentials)",
            { kubeconfig: "users: [{name: admin, user: {token: hunter2-secret}\n\t: :" },
            new RegExp(`^Invalid stack config: replicated-mysql:kubeconfig \\(inline contents, not shown\\) is not YAML \\([^)]+ at line 2\\); allowed: ${RULE}$`),
        ],
    ];
    for (const [what, changes, message] of cases) {
        it(`refuses ${what}`, async () => {
            const config = stackConfig("dev");
            for (const [key, value] of Object.entries(changes)) {
                if (value === undefined) delete config[`replicated-mysql:${key}`];
                else config[`replicated-mysql:${key}`] = value;
            }
            await assert.rejects(runProgram(config), (err: Error) => {
                assert.match(err.message, message);
                assert.doesNotMatch(err.message, /hunter2|secret-token/, "no credential is printed");
                return true;
            });
            await mocks.settle();
            assert.deepStrictEqual(mocks.resources, []);
        });
    }

    it("takes a file whose current-context it holds, when context is not set", async () => {
        const config: Record<string, string> = { ...stackConfig("dev"), "replicated-mysql:kubeconfig": KUBECONFIG_FILE };
        delete config["replicated-mysql:context"];
        const run = await runProgram(config);
        const [provider] = only(run, T.k8sProvider);
        assert.strictEqual(provider.inputs.kubeconfig, KUBECONFIG_FILE);
        assert.strictEqual(provider.inputs.context, undefined);
    });
});

describe("day-2 volume changes, checked against the last deployment", () => {
    const STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass";
    const deployedWith = (outputs: Record<string, string>) => ({ [LAST_DEPLOYMENT]: { outputs } });
    const liveClass = (name: string, allowVolumeExpansion?: boolean) => ({
        [`${STORAGE_CLASS}::${name}`]: { metadata: { name }, provisioner: "k8s.io/minikube-hostpath", allowVolumeExpansion },
    });
    const claimSizes = (run: ProgramRun) =>
        only(run, "kubernetes:core/v1:PersistentVolumeClaim").map((c) => `${c.inputs.metadata.name}=${c.inputs.spec.resources.requests.storage}`);
    /** Kubernetes objects the run would create or change (a read changes nothing). */
    const changes = () =>
        mocks.resources.filter((r) => r.type.startsWith("kubernetes:") && !r.read);

    it("reads the stack's own last outputs, and exports the size for the next run", async () => {
        const run = await runProgram(stackConfig("dev"), [], deployedWith({ storageSize: "10Gi", storageClass: "standard" }));
        const [reference] = reads(run, STACK_REFERENCE);
        assert.strictEqual(reference.inputs.name, "organization/replicated-mysql/program");
        assert.strictEqual(run.outputs.storageSize, "10Gi");
        assert.deepStrictEqual(
            reads(run, STORAGE_CLASS).map((r) => r.name),
            ["replicated-mysql:storageClass"],
            "an unchanged size reads the class once, to know it exists, not whether it expands",
        );
    });

    it("refuses a smaller storageSize before any Kubernetes object, naming the key and why", async () => {
        const config = { ...stackConfig("dev"), "replicated-mysql:storageSize": "5Gi" };
        await assert.rejects(
            runProgram(config, [], deployedWith({ storageSize: "10Gi", storageClass: "standard" })),
            configError(
                'Invalid stack config: replicated-mysql:storageSize is "5Gi"; allowed: "10Gi" or more, since the data ' +
                    "volumes already have 10Gi and Kubernetes cannot shrink a volume",
            ),
        );
        await mocks.settle();
        assert.deepStrictEqual(mocks.resources.map((r) => r.type), [STACK_REFERENCE], "only the read of the last deployment");
    });

    it("grows every claim in place when the existing class allows expansion", async () => {
        const config = { ...stackConfig("dev"), "replicated-mysql:storageSize": "20Gi", "replicated-mysql:replicas": "4" };
        const run = await runProgram(config, [], {
            ...deployedWith({ storageSize: "10Gi", storageClass: "standard" }),
            ...liveClass("standard", true),
        });
        assert.deepStrictEqual(claimSizes(run), ["data-mysql-0=20Gi", "data-mysql-1=20Gi", "data-mysql-2=20Gi", "data-mysql-3=20Gi"]);
        assert.strictEqual(run.outputs.storageSize, "20Gi");
        assert.deepStrictEqual(only(run, STORAGE_CLASS), [], "the class was read, not created");
        assert.deepStrictEqual(reads(run, STORAGE_CLASS).map((r) => r.name), ["replicated-mysql:storageClass", "expanded-storage-class"]);
    });

    it("refuses growth on an existing class that does not allow expansion, before any Kubernetes object", async () => {
        const config = { ...stackConfig("dev"), "replicated-mysql:storageSize": "20Gi" };
        for (const allowVolumeExpansion of [false, undefined]) {
            await assert.rejects(
                runProgram(config, [], {
                    ...deployedWith({ storageSize: "10Gi", storageClass: "standard" }),
                    ...liveClass("standard", allowVolumeExpansion),
                }),
                {
                    message:
                        'Invalid stack config: replicated-mysql:storageSize is "20Gi", larger than the 10Gi of the data ' +
                        'volumes, but StorageClass "standard" does not allow volume expansion (allowVolumeExpansion is not ' +
                        'true); allowed: "10Gi", or first let the class expand volumes (kubectl patch storageclass standard ' +
                        `-p '{"allowVolumeExpansion":true}', if its provisioner can grow a volume)`,
                },
            );
            await mocks.settle();
            assert.deepStrictEqual(changes(), []);
            assert.ok(mocks.resources.some((r) => r.name === "expanded-storage-class"), "the class was read");
        }
    });

    it("grows on a class the stack creates without reading it: it allows expansion", async () => {
        const config = { ...stackConfig("linstor"), "replicated-mysql:storageSize": "20Gi" };
        const run = await runProgram(config, [], deployedWith({ storageSize: "10Gi", storageClass: "linstor-csi-lvm-thin-r1" }));
        assert.deepStrictEqual(claimSizes(run), ["data-mysql-0=20Gi", "data-mysql-1=20Gi", "data-mysql-2=20Gi"]);
        const [created] = only(run, STORAGE_CLASS);
        assert.strictEqual(created.inputs.allowVolumeExpansion, true);
    });

    it("refuses moving the volumes to another StorageClass, however the class is chosen", async () => {
        const eks = { ...stackConfig("eks"), "replicated-mysql:ebsVolumeType": "gp3" };
        await assert.rejects(runProgram(eks, [], deployedWith({ storageSize: "10Gi", storageClass: "mysql-gp2" })), {
            message:
                `Invalid stack config: the data volumes' StorageClass would change from "mysql-gp2" to "mysql-gp3" ` +
                "(set by replicated-mysql:storageClass, or on eks ebsVolumeType, on linstor linstorPlacementCount); " +
                'allowed: "mysql-gp2", since a claim cannot move to another class in place',
        });
        await mocks.settle();
        assert.deepStrictEqual(mocks.resources.map((r) => r.type), [STACK_REFERENCE]);
    });
});

describe("a StorageClass the stack does not create must exist on the cluster", () => {
    const classKey = (name: string) => `${T.storageClass}::${name}`;
    /** Kubernetes objects the run registered, reads aside. */
    const kubernetesObjects = () => mocks.resources.filter((r) => r.type.startsWith("kubernetes:") && !r.read);

    const refusals: [string, StackName, Record<string, string | undefined>, string, string][] = [
        ["a named class the minikube cluster lacks", "dev", { storageClass: "fast-ssd" }, "fast-ssd", "minikube"],
        ["the minikube target's default class, when the cluster lacks it", "dev", { storageClass: undefined }, "standard", "minikube"],
        ["a named class the LINSTOR cluster lacks", "linstor", { storageClass: "piraeus-ssd", linstorStoragePool: undefined }, "piraeus-ssd", "linstor"],
    ];
    for (const [what, stack, changes, name, provider] of refusals) {
        it(`stops on ${what}: the read named after the key fails, before any Kubernetes object`, async () => {
            const config = stackConfig(stack);
            for (const [key, value] of Object.entries(changes)) {
                if (value === undefined) delete config[`replicated-mysql:${key}`];
                else config[`replicated-mysql:${key}`] = value;
            }
            // The engine fails the read itself ("resource 'fast-ssd' does not exist") and stops the
            // run there; under mocks the read's failure reaches the program.
            await assert.rejects(
                runProgram(config, [], { [classKey("standard")]: undefined }),
                new RegExp(`failed to read resource #${name} 'replicated-mysql:storageClass' \\[${T.storageClass}\\]: .*"${name}" does not exist`),
            );
            await mocks.settle();
            assert.deepStrictEqual(kubernetesObjects(), []);
            // Read by id only: no inputs the engine could diff or the provider could apply.
            assert.deepStrictEqual(
                mocks.resources.filter((r) => r.type === T.storageClass).map((r) => [r.name, r.read, providerName(r.provider)]),
                [["replicated-mysql:storageClass", true, provider]],
            );
        });
    }

    it("reads the class the cluster has, through the target's provider, before the database", async () => {
        const run = await runProgram(stackConfig("dev"));
        assert.strictEqual(claimOf(run).storageClassName, "standard");
        const order = run.resources.map((r) => `${r.type} ${r.name}`);
        const readAt = order.indexOf(`${T.storageClass} replicated-mysql:storageClass`);
        assert.ok(readAt >= 0, "the class was read");
        assert.ok(
            run.resources.slice(0, readAt).every((r) => !r.type.startsWith("kubernetes:")),
            `nothing of the cluster's is registered before the read: ${order.slice(0, readAt).join(", ")}`,
        );
    });

    it("reads nothing where the stack creates the class (linstor's own, eks)", async () => {
        for (const stack of ["linstor", "eks"] as const) {
            const run = await runProgram(stackConfig(stack), [], { [classKey("standard")]: undefined });
            assert.strictEqual(only(run, T.statefulSet).length, 1);
            assert.deepStrictEqual(reads(run, T.storageClass), [], stack);
        }
    });

    it("with checkStorageClass false (credentials that may not read StorageClasses), reads nothing and deploys", async () => {
        const run = await runProgram(
            { ...stackConfig("dev"), "replicated-mysql:storageClass": "fast-ssd", "replicated-mysql:checkStorageClass": "false" },
            [],
            { [classKey("standard")]: undefined },
        );
        assert.deepStrictEqual(reads(run, T.storageClass), []);
        assert.strictEqual(claimOf(run).storageClassName, "fast-ssd");
    });

    it("refuses a checkStorageClass that is not a boolean", async () => {
        await assert.rejects(runProgram({ ...stackConfig("dev"), "replicated-mysql:checkStorageClass": "no" }), {
            message: 'Invalid stack config: replicated-mysql:checkStorageClass is "no"; allowed: true or false',
        });
        await mocks.settle();
        assert.deepStrictEqual(mocks.resources, []);
    });
});

describe("changes that would leave the data behind, checked against the last deployment", () => {
    const deployedWith = (outputs: Record<string, string>) => ({ [LAST_DEPLOYMENT]: { outputs } });
    const last = { storageSize: "10Gi", storageClass: "standard", engine: "mysql", namespace: "mysql" };

    it("exports the engine for the next run, and accepts an unchanged one", async () => {
        const run = await runProgram(stackConfig("dev"), [], deployedWith(last));
        assert.strictEqual(run.outputs.engine, "mysql");
    });

    const refusals: [string, string, string, string][] = [
        [
            "another engine on volumes that hold the first one's data",
            "engine",
            "mariadb",
            'Invalid stack config: replicated-mysql:engine is "mariadb"; allowed: "mysql", since the data volumes hold ' +
                "mysql datadirs, which the other engine cannot start on (to switch engines, dump the data and load it into a new stack)",
        ],
        [
            "another namespace, which would start an empty database and leave the claims behind",
            "namespace",
            "db2",
            'Invalid stack config: replicated-mysql:namespace is "db2"; allowed: "mysql", since the data claims live in ' +
                'namespace "mysql": a new namespace would get a new, empty database and leave the data behind',
        ],
    ];
    for (const [what, key, value, message] of refusals) {
        it(`refuses ${what}, before any Kubernetes object`, async () => {
            const config = { ...stackConfig("dev"), [`replicated-mysql:${key}`]: value };
            await assert.rejects(runProgram(config, [], deployedWith(last)), { message });
            await mocks.settle();
            assert.deepStrictEqual(mocks.resources.map((r) => r.type), [STACK_REFERENCE]);
        });
    }
});

describe("Pulumi.yaml and the stack files", () => {
    const project = yaml.load(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
        name: string;
        config: Record<string, { type: string; description: string; default?: unknown; secret?: boolean }>;
    };

    it("declares every key that has a default, with a type, a description and the default the code applies", () => {
        assert.strictEqual(project.name, "replicated-mysql");
        for (const [key, decl] of Object.entries(project.config)) {
            assert.ok(["string", "integer", "boolean"].includes(decl.type), `${key} has a type`);
            assert.ok(decl.description && decl.description.length > 20, `${key} has a description`);
            // The CLI stops any stack lacking a value for a declared key without a default.
            assert.notStrictEqual(decl.default, undefined, `${key} has a default`);
        }
        const declaredDefaults = Object.fromEntries(
            Object.entries(project.config)
                .filter(([, decl]) => decl.default !== undefined)
                .map(([key, decl]) => [key, decl.default]),
        );
        assert.deepStrictEqual(declaredDefaults, CONFIG_DEFAULTS);
        for (const key of OPTIONAL_CONFIG_KEYS) assert.ok(!(key in project.config), `${key} is not declared`);
    });

    for (const stack of STACKS) {
        it(`Pulumi.${stack}.yaml uses only known keys and disables default providers`, () => {
            const config = stackConfig(stack);
            for (const key of Object.keys(config)) {
                const [namespace, name] = key.split(":");
                if (namespace === "replicated-mysql") {
                    assert.ok(name in project.config || OPTIONAL_CONFIG_KEYS.includes(name), `${key} is a known key`);
                }
            }
            assert.deepStrictEqual(JSON.parse(config["pulumi:disable-default-providers"]), ["*"]);
        });
    }
});
