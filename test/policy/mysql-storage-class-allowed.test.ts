import * as assert from "assert";
import { mysqlStorageClassAllowed } from "../../policy/policies/mysql-storage-class-allowed";
import { databaseStatefulSet } from "./fixtures";
import { statefulSetType, unknownString, validateResource } from "./harness";

const run = (props: object, config?: Record<string, unknown>) => validateResource(mysqlStorageClassAllowed, statefulSetType, props, config);
const withClass = (storageClassName: unknown) => {
    const sts = databaseStatefulSet();
    sts.spec.volumeClaimTemplates[0].spec.storageClassName = storageClassName;
    return sts;
};

describe("policy mysql-storage-class-allowed", () => {
    it("passes every class the shipped stacks use", async () => {
        for (const name of ["standard", "linstor-csi-lvm-thin-r1", "mysql-gp2", "mysql-gp3", "local-node"]) {
            assert.deepStrictEqual(await run(withClass(name)), [], name);
        }
    });

    it("reports a claim without storageClassName", async () => {
        const sts = databaseStatefulSet();
        delete sts.spec.volumeClaimTemplates[0].spec.storageClassName;
        assert.deepStrictEqual(await run(sts), [
            'StatefulSet "mysql": spec.volumeClaimTemplates[0] ("data").spec.storageClassName is not set, so the claim gets the cluster\'s default class or none; ' +
            "set it to one of: standard, linstor-csi-lvm-thin-r1, mysql-gp2, mysql-gp3, local-node.",
        ]);
    });

    it("reports a class outside the allow-list", async () => {
        assert.deepStrictEqual(await run(withClass("gp2")), [
            'StatefulSet "mysql": spec.volumeClaimTemplates[0] ("data").spec.storageClassName is "gp2", which is not an allowed storage class; ' +
            "use one of: standard, linstor-csi-lvm-thin-r1, mysql-gp2, mysql-gp3, local-node (or add it to allowedStorageClasses in the policy pack config).",
        ]);
    });

    it("takes the allow-list from config", async () => {
        assert.deepStrictEqual(await run(withClass("fast-ssd"), { allowedStorageClasses: ["fast-ssd"] }), []);
        assert.strictEqual((await run(withClass("standard"), { allowedStorageClasses: ["fast-ssd"] })).length, 1);
    });

    it("skips a class name preview cannot know yet", async () => {
        assert.deepStrictEqual(await run(withClass(unknownString)), []);
    });
});
