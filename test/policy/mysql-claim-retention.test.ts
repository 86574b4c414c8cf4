import * as assert from "assert";
import { mysqlClaimRetention } from "../../policy/policies/mysql-claim-retention";
import { databaseStatefulSet } from "./fixtures";
import { statefulSetType, validateResource } from "./harness";

const run = (props: object, config?: Record<string, unknown>) => validateResource(mysqlClaimRetention, statefulSetType, props, config);
const withRetention = (whenDeleted: string, whenScaled: string) => {
    const sts = databaseStatefulSet();
    sts.spec.persistentVolumeClaimRetentionPolicy = { whenDeleted, whenScaled };
    return sts;
};
const scaledMessage = 'StatefulSet "mysql": spec.persistentVolumeClaimRetentionPolicy.whenScaled is "Delete", so scaling down deletes the removed replicas\' data volumes; ' +
    'set it to "Retain" (or set allowDeleteOnScaleDown: true in the policy pack config).';
const deletedMessage = 'StatefulSet "mysql": spec.persistentVolumeClaimRetentionPolicy.whenDeleted is "Delete", so deleting or replacing the StatefulSet deletes every data volume; ' +
    'set it to "Retain" (or set allowDeleteOnStatefulSetDeletion: true in the policy pack config).';

describe("policy mysql-claim-retention", () => {
    it("passes Retain/Retain and an unset policy (Kubernetes retains by default)", async () => {
        assert.deepStrictEqual(await run(withRetention("Retain", "Retain")), []);
        const sts = databaseStatefulSet();
        delete sts.spec.persistentVolumeClaimRetentionPolicy;
        assert.deepStrictEqual(await run(sts), []);
    });

    it("reports whenScaled: Delete", async () => {
        assert.deepStrictEqual(await run(withRetention("Retain", "Delete")), [scaledMessage]);
    });

    it("reports whenDeleted: Delete", async () => {
        assert.deepStrictEqual(await run(withRetention("Delete", "Retain")), [deletedMessage]);
    });

    it("allows each deletion only when the config says so", async () => {
        assert.deepStrictEqual(await run(withRetention("Delete", "Delete"), { allowDeleteOnScaleDown: true }), [deletedMessage]);
        assert.deepStrictEqual(await run(withRetention("Delete", "Delete"), { allowDeleteOnStatefulSetDeletion: true }), [scaledMessage]);
        assert.deepStrictEqual(await run(withRetention("Delete", "Delete"),
            { allowDeleteOnScaleDown: true, allowDeleteOnStatefulSetDeletion: true }), []);
    });
});
