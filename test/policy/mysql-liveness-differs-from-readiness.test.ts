import * as assert from "assert";
import { mysqlLivenessDiffersFromReadiness } from "../../policy/policies/mysql-liveness-differs-from-readiness";
import { databaseStatefulSet } from "./fixtures";
import { statefulSetType, unknownString, validateResource } from "./harness";

const run = (props: object) => validateResource(mysqlLivenessDiffersFromReadiness, statefulSetType, props);
const server = (sts: any) => sts.spec.template.spec.containers[0];

describe("policy mysql-liveness-differs-from-readiness", () => {
    it("passes distinct liveness and readiness checks", async () => {
        assert.deepStrictEqual(await run(databaseStatefulSet()), []);
    });

    it("reports identical probes", async () => {
        const sts = databaseStatefulSet();
        server(sts).livenessProbe = { ...server(sts).readinessProbe };
        assert.deepStrictEqual(await run(sts), [
            'StatefulSet "mysql": container "mysql" spec.template.spec.containers[0].livenessProbe runs the same check as its readinessProbe ' +
            "(exec bash /mnt/config-map/probe.sh readiness), so a replica that is only lagging or cloning gets restarted; " +
            "make the liveness probe check only that mysqld is alive.",
        ]);
    });

    it("reports the same check with different timings (stricter than comparing whole probes)", async () => {
        const sts = databaseStatefulSet();
        server(sts).livenessProbe = { ...server(sts).readinessProbe, periodSeconds: 20, failureThreshold: 5 };
        assert.strictEqual((await run(sts)).length, 1);
    });

    it("compares tcpSocket handlers too", async () => {
        const sts = databaseStatefulSet();
        server(sts).livenessProbe = { tcpSocket: { port: 3306 } };
        server(sts).readinessProbe = { tcpSocket: { port: 3306 }, periodSeconds: 5 };
        assert.match((await run(sts))[0], /runs the same check as its readinessProbe \(tcpSocket \{"port":3306\}\)/);
    });

    it("does not guess when preview hides a command", async () => {
        const sts = databaseStatefulSet();
        server(sts).livenessProbe = { exec: { command: ["bash", "/mnt/config-map/probe.sh", unknownString] } };
        server(sts).readinessProbe = { exec: { command: ["bash", "/mnt/config-map/probe.sh", unknownString] } };
        assert.deepStrictEqual(await run(sts), []);
    });
});
