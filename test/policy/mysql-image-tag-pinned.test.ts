import * as assert from "assert";
import { mysqlImageTagPinned } from "../../policy/policies/mysql-image-tag-pinned";
import { databaseStatefulSet, webStatefulSet } from "./fixtures";
import { statefulSetType, validateResource } from "./harness";

const run = (props: object) => validateResource(mysqlImageTagPinned, statefulSetType, props);
const withServerImage = (image: string) => {
    const sts = databaseStatefulSet();
    sts.spec.template.spec.containers[0].image = image;
    return sts;
};

describe("policy mysql-image-tag-pinned", () => {
    it("passes tags, registry ports and digests", async () => {
        for (const image of ["mysql:8.4", "mariadb:10.11", "localhost:5000/mysql:8.4.3", "mysql@sha256:0123abcd", "registry.example.com/db/mysql:8.4"]) {
            assert.deepStrictEqual(await run(withServerImage(image)), [], image);
        }
    });

    it("reports an untagged image", async () => {
        assert.deepStrictEqual(await run(withServerImage("mysql")), [
            'StatefulSet "mysql": container "mysql" image "mysql" (spec.template.spec.containers[0].image) has no tag, so a restart can pull a different server version; ' +
            "pin a version tag such as mysql:<version> or a digest.",
        ]);
    });

    it("reports :latest, also behind a registry port", async () => {
        assert.deepStrictEqual(await run(withServerImage("localhost:5000/library/mariadb:latest")), [
            'StatefulSet "mysql": container "mysql" image "localhost:5000/library/mariadb:latest" (spec.template.spec.containers[0].image) uses the "latest" tag, ' +
            "so a restart can pull a different server version; pin a version tag such as mariadb:<version> or a digest.",
        ]);
    });

    it("checks init containers and sidecars", async () => {
        const sts = databaseStatefulSet();
        sts.spec.template.spec.initContainers[1].image = "mariadb";
        assert.match((await run(sts))[0], /^StatefulSet "mysql": container "clone-from-peer" image "mariadb" \(spec\.template\.spec\.initContainers\[1\]\.image\) has no tag/);
    });

    it("leaves StatefulSets that are not databases to other policies", async () => {
        assert.deepStrictEqual(await run(webStatefulSet()), []);
    });
});
