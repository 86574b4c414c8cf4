import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { CONFIG_DEFAULTS, OPTIONAL_CONFIG_KEYS } from "../../stack/config";
import { RecordedResource, mocks } from "../helpers/mocks";
import { ProgramRun, REPO_ROOT, STACKS, StackName, runProgram, stackConfig } from "../helpers/program";

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

function only(run: ProgramRun, type: string): RecordedResource[] {
    return run.resources.filter((r) => r.type === type);
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
    "namespace",
    "passwordSecret",
    "primaryEndpoint",
    "readEndpoint",
    "replicaEndpoints",
    "rootPassword",
    "storageClass",
];

describe("the program, run per stack file", () => {
    const runs = {} as Record<StackName, ProgramRun>;
    before(async () => {
        for (const stack of STACKS) runs[stack] = await runProgram(stackConfig(stack));
    });

    for (const stack of STACKS) {
        it(`${stack}: registers every custom resource with an explicit, non-default provider`, () => {
            const custom = runs[stack].resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
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
            assert.strictEqual(only(run, T.statefulSet)[0].inputs.spec.replicas, 3);
            // No password in the stack file: all three are generated with an explicit random provider.
            assert.strictEqual(only(run, T.randomPassword).length, 3);
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
        const run = await runProgram(config);
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
        // The other two are still generated, so the random provider is still needed.
        assert.strictEqual(only(run, "pulumi:providers:random").length, 1);
        assert.deepStrictEqual(only(run, T.randomPassword).map((r) => r.name).sort(), [
            "mysql-backup-password",
            "mysql-replication-password",
        ]);
    });

    it("with all three passwords in config, registers no random provider or resource at all", async () => {
        const passwords = {
            "replicated-mysql:rootPassword": "root-pw-from-config",
            "replicated-mysql:replicationPassword": "replication-pw-from-config",
            "replicated-mysql:backupPassword": "backup-pw-from-config",
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
        });
        assert.ok(secret.secretPaths.some((p) => p.startsWith("stringData")), "the passwords stay secret");
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
});

describe("bad stack config", () => {
    const cases: Array<[string, StackName, Record<string, string | undefined>, string]> = [
        ["an unknown cluster", "dev", { cluster: "gke" }, 'replicated-mysql:cluster is "gke"; allowed: minikube, linstor, eks'],
        ["an unknown engine", "dev", { engine: "postgres" }, 'replicated-mysql:engine is "postgres"; allowed: mysql, mariadb'],
        ["zero replicas", "dev", { replicas: "0" }, 'replicated-mysql:replicas is "0"; allowed: a whole number of at least 1'],
        ["fractional replicas", "dev", { replicas: "2.5" }, 'replicated-mysql:replicas is "2.5"; allowed: a whole number of at least 1'],
        ["words for replicas", "dev", { replicas: "three" }, 'replicated-mysql:replicas is "three"; allowed: a whole number of at least 1'],
        [
            "a malformed storage size",
            "dev",
            { storageSize: "10GB" },
            'replicated-mysql:storageSize is "10GB"; allowed: a positive Kubernetes quantity such as "10Gi" or "500Mi"',
        ],
        [
            "a linstor stack with neither a class nor a pool",
            "linstor",
            { linstorStoragePool: undefined },
            "replicated-mysql:linstorStoragePool is not set and neither is replicated-mysql:storageClass; allowed: " +
                "set linstorStoragePool (and optionally linstorPlacementCount) so the stack creates the LINSTOR " +
                "StorageClass, or set storageClass to an existing class",
        ],
        ["an unknown EBS type", "eks", { ebsVolumeType: "io2" }, 'replicated-mysql:ebsVolumeType is "io2"; allowed: gp2, gp3'],
        ["two EKS nodes", "eks", { eksNodeCount: "2" }, 'replicated-mysql:eksNodeCount is "2"; allowed: a whole number of at least 3'],
        [
            "a bad namespace",
            "dev",
            { namespace: "My_NS" },
            `replicated-mysql:namespace is "My_NS"; allowed: a DNS label (lower-case letters, digits and '-', at most 63 characters)`,
        ],
    ];
    for (const [what, stack, changes, message] of cases) {
        it(`refuses ${what} before registering anything`, async () => {
            const config = stackConfig(stack);
            for (const [key, value] of Object.entries(changes)) {
                if (value === undefined) delete config[`replicated-mysql:${key}`];
                else config[`replicated-mysql:${key}`] = value;
            }
            await assert.rejects(runProgram(config), { message: `Invalid stack config: ${message}` });
            await mocks.settle();
            assert.deepStrictEqual(mocks.resources, []);
        });
    }

    for (const [key, value, allowed] of [
        ["rootPassword", "short", "at least 8 characters, without white space, quotes or backslashes"],
        ["replicationPassword", "r".repeat(33), "8 to 32 characters, without white space, quotes or backslashes"],
        ["backupPassword", "it's-a-secret", "at least 8 characters, without white space, quotes or backslashes"],
    ]) {
        it(`refuses a bad ${key} from config before registering anything, without printing it`, async () => {
            const config = { ...stackConfig("dev"), [`replicated-mysql:${key}`]: value };
            await assert.rejects(runProgram(config, [`replicated-mysql:${key}`]), {
                message: `Invalid stack config: replicated-mysql:${key} is a ${value.length}-character secret; allowed: ${allowed}`,
            });
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
                'replicated-mysql:replicas is "-1"; allowed: a whole number of at least 1',
        });
    });
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
