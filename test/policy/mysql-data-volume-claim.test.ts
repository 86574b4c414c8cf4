import * as assert from "assert";
import { mysqlDataVolumeClaim } from "../../policy/policies/mysql-data-volume-claim";
import { databaseStatefulSet, webStatefulSet } from "./fixtures";
import { statefulSetType, unknownArray, unknownString, validateResource } from "./harness";

const run = (props: object, config?: Record<string, unknown>) => validateResource(mysqlDataVolumeClaim, statefulSetType, props, config);

describe("policy mysql-data-volume-claim", () => {
    it("passes the component's StatefulSet", async () => {
        assert.deepStrictEqual(await run(databaseStatefulSet()), []);
    });

    it("ignores StatefulSets that are not databases", async () => {
        assert.deepStrictEqual(await run(webStatefulSet()), []);
    });

    it("reports a StatefulSet without volumeClaimTemplates", async () => {
        const sts = databaseStatefulSet();
        delete sts.spec.volumeClaimTemplates;
        assert.deepStrictEqual(await run(sts), [
            'StatefulSet "mysql": spec.volumeClaimTemplates is empty, so the database keeps its data on the node and loses it when the pod moves; ' +
            'add a volumeClaimTemplate (e.g. "data", ReadWriteOnce) and mount it at /var/lib/mysql.',
        ]);
    });

    it("reports a shared (ReadWriteMany) claim", async () => {
        const sts = databaseStatefulSet();
        sts.spec.volumeClaimTemplates[0].spec.accessModes = ["ReadWriteMany"];
        assert.deepStrictEqual(await run(sts), [
            'StatefulSet "mysql": spec.volumeClaimTemplates[0] ("data").spec.accessModes is ["ReadWriteMany"]; ' +
            'a database volume must have a single writer: set accessModes: ["ReadWriteOnce"].',
        ]);
    });

    it("reports a database container that mounts nothing at /var/lib/mysql", async () => {
        const sts = databaseStatefulSet();
        sts.spec.template.spec.containers[0].volumeMounts[0].mountPath = "/data";
        assert.deepStrictEqual(await run(sts), [
            'StatefulSet "mysql": container "mysql" (spec.template.spec.containers[0].volumeMounts) mounts nothing at /var/lib/mysql, ' +
            'where the engine keeps its data; mount volume claim "data" there.',
        ]);
    });

    it("reports /var/lib/mysql backed by a pod volume instead of a claim", async () => {
        const sts = databaseStatefulSet();
        sts.spec.template.spec.containers[0].volumeMounts[0].name = "tmp";
        assert.deepStrictEqual(await run(sts), [
            'StatefulSet "mysql": container "mysql" mounts volume "tmp" at /var/lib/mysql, which is not one of spec.volumeClaimTemplates (data), ' +
            'so the data does not outlive the pod; mount volume claim "data" there.',
        ]);
    });

    it("accepts a trailing slash and ReadWriteOncePod", async () => {
        const sts = databaseStatefulSet();
        sts.spec.template.spec.containers[0].volumeMounts[0].mountPath = "/var/lib/mysql/";
        sts.spec.volumeClaimTemplates[0].spec.accessModes = ["ReadWriteOncePod"];
        assert.deepStrictEqual(await run(sts), []);
    });

    it("finds a MariaDB server container by image when none is named mysql", async () => {
        const sts = databaseStatefulSet();
        const server = sts.spec.template.spec.containers[0];
        server.name = "db";
        server.image = "docker.io/library/mariadb:10.11";
        server.volumeMounts[0].mountPath = "/srv";
        assert.deepStrictEqual(await run(sts), [
            'StatefulSet "mysql": container "db" (spec.template.spec.containers[0].volumeMounts) mounts nothing at /var/lib/mysql, ' +
            'where the engine keeps its data; mount volume claim "data" there.',
        ]);
    });

    it("follows a configured data directory", async () => {
        assert.deepStrictEqual(await run(databaseStatefulSet(), { dataDirectory: "/var/lib/mysql" }), []);
        const messages = await run(databaseStatefulSet(), { dataDirectory: "/srv/mysql" });
        assert.strictEqual(messages.length, 1);
        assert.match(messages[0], /mounts nothing at \/srv\/mysql/);
    });

    it("reports a labelled database StatefulSet whose server container cannot be identified", async () => {
        const sts = databaseStatefulSet();
        sts.spec.template.spec.containers = [{ name: "server", image: "example.com/db:1.0" }];
        assert.deepStrictEqual(await run(sts), [
            'StatefulSet "mysql": no container in spec.template.spec.containers is named "mysql" or runs a mysql/mariadb image, ' +
            'so the database container cannot be checked; name the database container "mysql".',
        ]);
    });

    it("skips what preview cannot know and still reports what it can", async () => {
        const sts = databaseStatefulSet();
        sts.spec.volumeClaimTemplates[0].metadata.name = unknownString;
        sts.spec.template.spec.containers[0].volumeMounts = unknownArray;
        assert.deepStrictEqual(await run(sts), []);
        sts.spec.volumeClaimTemplates[0].spec.accessModes = ["ReadOnlyMany"];
        assert.deepStrictEqual(await run(sts), [
            'StatefulSet "mysql": spec.volumeClaimTemplates[0].spec.accessModes is ["ReadOnlyMany"]; ' +
            'a database volume must have a single writer: set accessModes: ["ReadWriteOnce"].',
        ]);
    });
});
