import * as assert from "assert";
import { mysqlProbeTiming } from "../../policy/policies/mysql-probe-timing";
import { databaseStatefulSet } from "./fixtures";
import { statefulSetType, validateResource } from "./harness";

const run = (props: object, config?: Record<string, unknown>) => validateResource(mysqlProbeTiming, statefulSetType, props, config);
const server = (sts: any) => sts.spec.template.spec.containers[0];

describe("policy mysql-probe-timing", () => {
    it("passes the component's probe timings", async () => {
        assert.deepStrictEqual(await run(databaseStatefulSet()), []);
    });

    it("reports an unset timeout, which Kubernetes sets to 1 s", async () => {
        const sts = databaseStatefulSet();
        delete server(sts).livenessProbe.timeoutSeconds;
        assert.deepStrictEqual(await run(sts), [
            'StatefulSet "mysql": container "mysql" spec.template.spec.containers[0].livenessProbe.timeoutSeconds is not set (Kubernetes default 1), ' +
            "outside the allowed range 2-30; set timeoutSeconds between 2 and 30.",
        ]);
    });

    it("reports a period above the range", async () => {
        const sts = databaseStatefulSet();
        server(sts).readinessProbe.periodSeconds = 300;
        assert.deepStrictEqual(await run(sts), [
            'StatefulSet "mysql": container "mysql" spec.template.spec.containers[0].readinessProbe.periodSeconds is 300, ' +
            "outside the allowed range 2-60; set periodSeconds between 2 and 60.",
        ]);
    });

    it("checks the startup probe too", async () => {
        const sts = databaseStatefulSet();
        server(sts).startupProbe.timeoutSeconds = 31;
        assert.match((await run(sts))[0], /startupProbe\.timeoutSeconds is 31, outside the allowed range 2-30/);
    });

    it("takes the ranges from config", async () => {
        const sts = databaseStatefulSet();
        server(sts).readinessProbe.periodSeconds = 300;
        assert.deepStrictEqual(await run(sts, { maxPeriodSeconds: 300 }), []);
        assert.strictEqual((await run(databaseStatefulSet(), { minTimeoutSeconds: 4 })).length, 1);
    });

    it("rejects a config whose minimum exceeds its maximum", async () => {
        await assert.rejects(run(databaseStatefulSet(), { minTimeoutSeconds: 10, maxTimeoutSeconds: 5 }), {
            message: 'Invalid config for policy "mysql-probe-timing": minTimeoutSeconds (10) is greater than maxTimeoutSeconds (5).',
        });
    });
});
