import * as assert from "assert";
import { storageClassBinding } from "../../policy/policies/storage-class-binding";
import { databaseStatefulSet, storageClass } from "./fixtures";
import { statefulSetType, storageClassType, validateResource } from "./harness";

const run = (props: object) => validateResource(storageClassBinding, storageClassType, props, {}, "mysql-gp3");

describe("policy storage-class-binding", () => {
    it("passes a WaitForFirstConsumer, expandable class", async () => {
        assert.deepStrictEqual(await run(storageClass()), []);
    });

    it("reports Immediate binding", async () => {
        const sc = storageClass();
        sc.volumeBindingMode = "Immediate";
        assert.deepStrictEqual(await run(sc), [
            'StorageClass "mysql-gp3": volumeBindingMode is "Immediate", so a zonal volume can be provisioned where the pod cannot run; set volumeBindingMode: WaitForFirstConsumer.',
        ]);
    });

    it("reports an unset binding mode, which Kubernetes defaults to Immediate", async () => {
        const sc = storageClass();
        delete sc.volumeBindingMode;
        assert.deepStrictEqual(await run(sc), [
            'StorageClass "mysql-gp3": volumeBindingMode is not set (Kubernetes defaults to Immediate), so a zonal volume can be provisioned where the pod cannot run; ' +
            "set volumeBindingMode: WaitForFirstConsumer.",
        ]);
    });

    it("reports a class that cannot expand", async () => {
        const sc = storageClass();
        sc.allowVolumeExpansion = false;
        assert.deepStrictEqual(await run(sc), [
            'StorageClass "mysql-gp3": allowVolumeExpansion is false, so a full data volume cannot be grown in place; set allowVolumeExpansion: true.',
        ]);
        delete sc.allowVolumeExpansion;
        assert.deepStrictEqual(await run(sc), [
            'StorageClass "mysql-gp3": allowVolumeExpansion is not set, so a full data volume cannot be grown in place; set allowVolumeExpansion: true.',
        ]);
    });

    it("names an auto-named class by its Pulumi name", async () => {
        const sc = storageClass();
        delete sc.metadata;
        sc.allowVolumeExpansion = false;
        assert.match((await run(sc))[0], /^StorageClass "mysql-gp3": allowVolumeExpansion is false/);
    });

    it("only looks at StorageClasses", async () => {
        assert.deepStrictEqual(await validateResource(storageClassBinding, statefulSetType, databaseStatefulSet()), []);
    });
});
