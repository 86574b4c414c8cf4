import * as assert from "assert";
import { mysqlStorageMinimumSize } from "../../policy/policies/mysql-storage-minimum-size";
import { databaseStatefulSet } from "./fixtures";
import { statefulSetType, unknownString, validateResource } from "./harness";

const run = (props: object, config?: Record<string, unknown>) => validateResource(mysqlStorageMinimumSize, statefulSetType, props, config);
const withSize = (storage: unknown) => {
    const sts = databaseStatefulSet();
    sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage = storage;
    return sts;
};

describe("policy mysql-storage-minimum-size", () => {
    it("passes 10Gi, 1Gi and equivalent decimal and exponent forms", async () => {
        for (const size of ["10Gi", "1Gi", "1.5Gi", "2G", "1073741824", "1.1e9"]) {
            assert.deepStrictEqual(await run(withSize(size)), [], size);
        }
    });

    it("reports a tiny volume", async () => {
        assert.deepStrictEqual(await run(withSize("100Mi")), [
            'StatefulSet "mysql": spec.volumeClaimTemplates[0] ("data").spec.resources.requests.storage is "100Mi", less than the minimum 1Gi; ' +
            "request at least 1Gi (or lower minimumSize in the policy pack config).",
        ]);
    });

    it("reports 1G, which is less than 1Gi", async () => {
        assert.strictEqual((await run(withSize("1G"))).length, 1);
    });

    it("reports a missing request", async () => {
        const sts = databaseStatefulSet();
        delete sts.spec.volumeClaimTemplates[0].spec.resources;
        assert.deepStrictEqual(await run(sts), [
            'StatefulSet "mysql": spec.volumeClaimTemplates[0] ("data").spec.resources.requests.storage is not set; request at least 1Gi.',
        ]);
    });

    it("reports text that is not a quantity", async () => {
        assert.deepStrictEqual(await run(withSize("10 GB")), [
            'StatefulSet "mysql": spec.volumeClaimTemplates[0] ("data").spec.resources.requests.storage is "10 GB", which is not a Kubernetes quantity; use a size such as "10Gi".',
        ]);
    });

    it("takes the minimum from config", async () => {
        assert.deepStrictEqual(await run(withSize("100Mi"), { minimumSize: "100Mi" }), []);
        assert.strictEqual((await run(withSize("10Gi"), { minimumSize: "20Gi" })).length, 1);
    });

    it("skips a size preview cannot know yet", async () => {
        assert.deepStrictEqual(await run(withSize(unknownString)), []);
    });
});
