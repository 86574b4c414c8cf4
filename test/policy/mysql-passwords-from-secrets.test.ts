import * as assert from "assert";
import { mysqlPasswordsFromSecrets } from "../../policy/policies/mysql-passwords-from-secrets";
import { databaseStatefulSet } from "./fixtures";
import { statefulSetType, unknownObject, validateResource } from "./harness";

const run = (props: object, config?: Record<string, unknown>) => validateResource(mysqlPasswordsFromSecrets, statefulSetType, props, config);
const withServerEnv = (env: object[]) => {
    const sts = databaseStatefulSet();
    sts.spec.template.spec.containers[0].env = env;
    return sts;
};

describe("policy mysql-passwords-from-secrets", () => {
    it("passes passwords from secretKeyRef and plain non-secret settings", async () => {
        assert.deepStrictEqual(await run(databaseStatefulSet()), []);
    });

    it("reports a literal password", async () => {
        assert.deepStrictEqual(await run(withServerEnv([{ name: "MYSQL_ROOT_PASSWORD", value: "hunter2" }])), [
            'StatefulSet "mysql": container "mysql" env MYSQL_ROOT_PASSWORD (spec.template.spec.containers[0].env[0]) has a literal value, ' +
            "which ends up in the Pulumi state and the pod spec; set it from a Secret with valueFrom.secretKeyRef.",
        ]);
    });

    it("reports an empty password", async () => {
        assert.deepStrictEqual(await run(withServerEnv([{ name: "REPLICATION_PASSWORD", value: "" }])), [
            'StatefulSet "mysql": container "mysql" env REPLICATION_PASSWORD (spec.template.spec.containers[0].env[0]) is empty; ' +
            "an empty password lets anyone log in: set it from a Secret with valueFrom.secretKeyRef.",
        ]);
    });

    it("reports the tutorial's MYSQL_ALLOW_EMPTY_PASSWORD", async () => {
        assert.deepStrictEqual(await run(withServerEnv([{ name: "MYSQL_ALLOW_EMPTY_PASSWORD", value: "1" }])), [
            'StatefulSet "mysql": container "mysql" env MYSQL_ALLOW_EMPTY_PASSWORD (spec.template.spec.containers[0].env[0]) allows an empty root password; ' +
            "remove it and set the root password from a Secret with valueFrom.secretKeyRef.",
        ]);
    });

    it("reports a password read from a ConfigMap", async () => {
        assert.deepStrictEqual(await run(withServerEnv([{ name: "BACKUP_PASSWORD", valueFrom: { configMapKeyRef: { name: "mysql", key: "pw" } } }])), [
            'StatefulSet "mysql": container "mysql" env BACKUP_PASSWORD (spec.template.spec.containers[0].env[0]) takes its value from configMapKeyRef, ' +
            "which is not a Secret; use valueFrom.secretKeyRef.",
        ]);
    });

    it("checks init containers", async () => {
        const sts = databaseStatefulSet();
        sts.spec.template.spec.initContainers[1].env = [{ name: "api_token", value: "abc" }];
        assert.deepStrictEqual(await run(sts), [
            'StatefulSet "mysql": container "clone-from-peer" env api_token (spec.template.spec.initContainers[1].env[0]) has a literal value, ' +
            "which ends up in the Pulumi state and the pod spec; set it from a Secret with valueFrom.secretKeyRef.",
        ]);
    });

    it("leaves secret-file paths and the random-password switch alone", async () => {
        assert.deepStrictEqual(await run(withServerEnv([
            { name: "MYSQL_ROOT_PASSWORD_FILE", value: "/run/secrets/root" },
            { name: "MYSQL_RANDOM_ROOT_PASSWORD", value: "yes" },
        ])), []);
    });

    it("takes the name patterns from config", async () => {
        const sts = withServerEnv([{ name: "DB_PASSPHRASE", value: "x" }]);
        assert.deepStrictEqual(await run(sts), []);
        assert.strictEqual((await run(sts, { sensitiveNamePattern: "PASSPHRASE" })).length, 1);
    });

    it("does not report a value preview cannot know yet", async () => {
        assert.deepStrictEqual(await run(withServerEnv([{ name: "MYSQL_ROOT_PASSWORD", valueFrom: unknownObject }])), []);
    });
});
