import * as assert from "assert";
import { ResourceValidationPolicy } from "@pulumi/policy";
import { parseImage } from "../../policy/lib/image";
import { parseQuantity } from "../../policy/lib/quantity";
import { replicatedMysqlPolicies } from "../../policy/policies";
import { mysqlPasswordsFromSecrets } from "../../policy/policies/mysql-passwords-from-secrets";
import { mysqlStorageMinimumSize } from "../../policy/policies/mysql-storage-minimum-size";
import { databaseStatefulSet } from "./fixtures";
import { statefulSetType, validateResource } from "./harness";

describe("policy pack assembly and config", () => {
    it("lists each policy once, with a description, URL and config schema", () => {
        const names = replicatedMysqlPolicies.map(p => p.name);
        assert.strictEqual(new Set(names).size, names.length);
        assert.strictEqual(names.length, 14);
        for (const policy of replicatedMysqlPolicies) {
            assert.ok(policy.description && policy.url && policy.configSchema, policy.name);
        }
    });

    it("makes the storage and probe policies mandatory by default", () => {
        const levels = Object.fromEntries(replicatedMysqlPolicies.map(p => [p.name, p.enforcementLevel]));
        for (const name of ["mysql-data-volume-claim", "mysql-storage-class-allowed", "mysql-storage-minimum-size", "storage-class-binding",
            "mysql-claim-retention", "mysql-probes-present", "mysql-probe-timing", "mysql-liveness-differs-from-readiness"]) {
            assert.strictEqual(levels[name], "mandatory", name);
        }
    });

    it("publishes typed defaults in the schema the engine validates config files against", () => {
        assert.deepStrictEqual(mysqlStorageMinimumSize.configSchema?.properties.minimumSize, {
            type: "string",
            description: "The smallest storage request a database volume claim may make.",
            default: "1Gi",
            pattern: "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$",
        });
        const pattern = new RegExp(String(mysqlStorageMinimumSize.configSchema?.properties.minimumSize.pattern));
        assert.ok(pattern.test("10Gi") && !pattern.test("10 GB"));
    });

    it("rejects unknown keys, so a misspelt setting cannot silently fall back to its default", async () => {
        await assert.rejects(validateResource(mysqlStorageMinimumSize, statefulSetType, databaseStatefulSet(), { minimumSzie: "20Gi" }), {
            message: 'Invalid config for policy "mysql-storage-minimum-size": unknown key "minimumSzie" (known keys: minimumSize).',
        });
    });

    it("rejects values of the wrong type, listing every problem", async () => {
        await assert.rejects(validateResource(mysqlStorageMinimumSize, statefulSetType, databaseStatefulSet(), { minimumSize: 20 }), {
            message: 'Invalid config for policy "mysql-storage-minimum-size": minimumSize must be a Kubernetes quantity such as "10Gi", got 20.',
        });
        await assert.rejects(validateResource(mysqlPasswordsFromSecrets, statefulSetType, databaseStatefulSet(), { sensitiveNamePattern: "(", extra: 1 }), {
            message: 'Invalid config for policy "mysql-passwords-from-secrets": unknown key "extra" (known keys: sensitiveNamePattern, exemptNamePattern); ' +
                'sensitiveNamePattern must be a valid regular expression, got "(".',
        });
    });

    it("rejects integers out of range", async () => {
        const replicas = replicatedMysqlPolicies.find(p => p.name === "mysql-minimum-replicas") as ResourceValidationPolicy;
        await assert.rejects(validateResource(replicas, statefulSetType, databaseStatefulSet(), { minimumReplicas: 0 }), {
            message: 'Invalid config for policy "mysql-minimum-replicas": minimumReplicas must be an integer from 1 to 100, got 0.',
        });
    });
});

describe("policy helpers", () => {
    it("parses Kubernetes quantities", () => {
        assert.strictEqual(parseQuantity("10Gi"), 10 * 2 ** 30);
        assert.strictEqual(parseQuantity("500M"), 5e8);
        assert.strictEqual(parseQuantity("1e3"), 1000);
        assert.strictEqual(parseQuantity("250m"), 0.25);
        assert.strictEqual(parseQuantity(".5Ki"), 512);
        assert.strictEqual(parseQuantity("10 Gi"), undefined);
        assert.strictEqual(parseQuantity("Gi"), undefined);
    });

    it("splits image references", () => {
        assert.deepStrictEqual(parseImage("mysql"), { repository: "mysql", tag: undefined, digest: undefined });
        assert.deepStrictEqual(parseImage("localhost:5000/library/mysql"), { repository: "library/mysql", tag: undefined, digest: undefined });
        assert.deepStrictEqual(parseImage("docker.io/percona/percona-xtrabackup:8.4@sha256:ab"),
            { repository: "percona/percona-xtrabackup", tag: "8.4", digest: "sha256:ab" });
    });
});
