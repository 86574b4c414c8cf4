import * as assert from "assert";
import { mysqlMetricsExporter } from "../../policy/policies/mysql-metrics-exporter";
import { databaseStatefulSet } from "./fixtures";
import { statefulSetType, unknownString, validateResource } from "./harness";

const run = (props: object) => validateResource(mysqlMetricsExporter, statefulSetType, props);
const MISSING =
    'StatefulSet "mysql": no container in spec.template.spec.containers runs mysqld-exporter, so Prometheus cannot see ' +
    "whether the servers are up, replicating or filling their volumes; turn the component's metrics on or add a prom/mysqld-exporter container.";

/** The fixture (the component's pod, `metrics` container included) with that container's image set. */
function withExporter(image = "prom/mysqld-exporter:v0.19.0"): any {
    const sts = databaseStatefulSet();
    metricsContainer(sts).image = image;
    return sts;
}
const metricsContainer = (sts: any) => sts.spec.template.spec.containers.find((c: any) => c.name === "metrics");

/** The fixture without its `metrics` container, as with the component's metrics off. */
function withoutExporter(): any {
    const sts = databaseStatefulSet();
    sts.spec.template.spec.containers = sts.spec.template.spec.containers.filter((c: any) => c.name !== "metrics");
    return sts;
}

describe("policy mysql-metrics-exporter", () => {
    it("is advisory", () => {
        assert.strictEqual(mysqlMetricsExporter.enforcementLevel, "advisory");
    });

    it("passes a StatefulSet with a mysqld-exporter container, from any registry", async () => {
        assert.deepStrictEqual(await run(withExporter()), []);
        assert.deepStrictEqual(await run(withExporter("quay.io/prometheus/mysqld-exporter:v0.19.0")), []);
        assert.deepStrictEqual(await run(withExporter("bitnami/mysqld-exporter@sha256:0123")), []);
    });

    it("reports a database StatefulSet without one", async () => {
        assert.deepStrictEqual(await run(withoutExporter()), [MISSING]);
    });

    it("is not fooled by a container merely named metrics, nor by an exporter run as an init container", async () => {
        assert.deepStrictEqual(await run(withExporter("busybox:1.36")), [MISSING]);
        const sts = withoutExporter();
        sts.spec.template.spec.initContainers.push({ name: "metrics", image: "prom/mysqld-exporter:v0.19.0" });
        assert.deepStrictEqual(await run(sts), [MISSING]);
    });

    it("does not report while preview cannot know an image yet", async () => {
        assert.deepStrictEqual(await run(withExporter(unknownString)), []);
    });
});
