import * as assert from "assert";
import { mysqlProbesPresent } from "../../policy/policies/mysql-probes-present";
import { databaseStatefulSet } from "./fixtures";
import { statefulSetType, unknownObject, validateResource } from "./harness";

const run = (props: object, config?: Record<string, unknown>) => validateResource(mysqlProbesPresent, statefulSetType, props, config);
const server = (sts: any) => sts.spec.template.spec.containers[0];

describe("policy mysql-probes-present", () => {
    it("passes startup, liveness and readiness probes", async () => {
        assert.deepStrictEqual(await run(databaseStatefulSet()), []);
    });

    it("reports a missing readiness probe", async () => {
        const sts = databaseStatefulSet();
        delete server(sts).readinessProbe;
        assert.deepStrictEqual(await run(sts), [
            'StatefulSet "mysql": container "mysql" has no readinessProbe (spec.template.spec.containers[0].readinessProbe), ' +
            "so the read Service sends queries to replicas that are still cloning or broken; add a readinessProbe.",
        ]);
    });

    it("reports a missing liveness probe", async () => {
        const sts = databaseStatefulSet();
        delete server(sts).livenessProbe;
        assert.deepStrictEqual(await run(sts), [
            'StatefulSet "mysql": container "mysql" has no livenessProbe (spec.template.spec.containers[0].livenessProbe), so a hung mysqld is never restarted; add a livenessProbe.',
        ]);
    });

    it("reports a liveness probe that can fire during crash recovery when there is no startup probe", async () => {
        const sts = databaseStatefulSet();
        delete server(sts).startupProbe;
        assert.deepStrictEqual(await run(sts), [
            'StatefulSet "mysql": container "mysql" has no startupProbe and spec.template.spec.containers[0].livenessProbe.initialDelaySeconds is not set (0), ' +
            "so the liveness probe can kill mysqld during crash recovery; add a startupProbe or raise initialDelaySeconds to at least 120.",
        ]);
        server(sts).livenessProbe.initialDelaySeconds = 30;
        assert.match((await run(sts))[0], /initialDelaySeconds is 30, so/);
    });

    it("accepts a long enough liveness delay instead of a startup probe, with the delay from config", async () => {
        const sts = databaseStatefulSet();
        delete server(sts).startupProbe;
        server(sts).livenessProbe.initialDelaySeconds = 120;
        assert.deepStrictEqual(await run(sts), []);
        server(sts).livenessProbe.initialDelaySeconds = 30;
        assert.deepStrictEqual(await run(sts, { minimumInitialDelaySeconds: 30 }), []);
    });

    it("reports both missing probes of a probeless server", async () => {
        const sts = databaseStatefulSet();
        for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
            delete server(sts)[probe];
        }
        assert.strictEqual((await run(sts)).length, 2);
    });

    it("does not report a probe preview cannot know yet", async () => {
        const sts = databaseStatefulSet();
        server(sts).readinessProbe = unknownObject;
        assert.deepStrictEqual(await run(sts), []);
    });
});
