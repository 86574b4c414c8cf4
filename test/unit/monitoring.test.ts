/**
 * Monitoring objects under Pulumi's mocks: the `metrics` container, the metrics Service, and
 * the ServiceMonitor, PrometheusRule and dashboard ConfigMap created only on request, each
 * validated strictly (Kubernetes OpenAPI for core objects, the prometheus-operator CRD
 * schemas for its kinds).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as k8s from "@pulumi/kubernetes";
import { ReplicatedMySql, ReplicatedMySqlArgs, resolveArgs } from "../../components/mysql";
import { DASHBOARD_FILE, shippedRuleGroups } from "../../components/mysql/monitoring";
import { RecordedResource, mocks, resolveOutput, useMocks } from "../helpers/mocks";
import { schemaProblems } from "../helpers/k8s-schema";
import { crdSchemaProblems } from "../monitoring/crd-schema";

const T = {
    secret: "kubernetes:core/v1:Secret",
    configMap: "kubernetes:core/v1:ConfigMap",
    service: "kubernetes:core/v1:Service",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    serviceMonitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
    prometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
};

async function deploy(args: ReplicatedMySqlArgs = {}) {
    mocks.reset();
    const provider = new k8s.Provider("target", { kubeconfig: "{}" });
    const db = new ReplicatedMySql("mysql", { namespace: "db", ...args }, { providers: [provider] });
    await resolveOutput(db.primaryEndpoint);
    await mocks.settle();
    const pod = mocks.find(T.statefulSet, "mysql").inputs.spec.template.spec;
    return {
        pod,
        metrics: pod.containers.find((c: any) => c.name === "metrics"),
        find: (type: string, name: string) => mocks.resources.find((r) => r.type === type && r.name === name),
    };
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
    return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

describe("monitoring", function () {
    before(() => useMocks());

    for (const engine of ["mysql", "mariadb"] as const) {
        describe(`${engine}, defaults`, () => {
            let d: Awaited<ReturnType<typeof deploy>>;
            before(async () => {
                d = await deploy({ engine });
            });

            it("runs the pinned official exporter in every pod, as its own account, with a password only from the Secret", () => {
                assert.strictEqual(d.metrics.image, "prom/mysqld-exporter:v0.19.0");
                assert.deepStrictEqual(d.metrics.args, [
                    "--mysqld.address=unix:///run/mysqld/mysqld.sock",
                    "--mysqld.username=metrics",
                    "--web.listen-address=:9104",
                ]);
                assert.deepStrictEqual(d.metrics.env, [
                    { name: "MYSQLD_EXPORTER_PASSWORD", valueFrom: { secretKeyRef: { name: "mysql-credentials", key: "metrics-password" } } },
                ]);
                const secret = mocks.find(T.secret, "mysql-credentials");
                assert.ok(secret.inputs.stringData["metrics-password"].length >= 32);
                assert.ok(secret.secretPaths.some((p) => p.startsWith("stringData")));
                // The server's containers carry the account for pod 0's bootstrap.
                const mysqlEnv = d.pod.containers.find((c: any) => c.name === "mysql").env;
                assert.deepStrictEqual(mysqlEnv.find((e: any) => e.name === "METRICS_USER"), { name: "METRICS_USER", value: "metrics" });
                assert.deepStrictEqual(mysqlEnv.find((e: any) => e.name === "METRICS_PASSWORD").valueFrom.secretKeyRef.key, "metrics-password");
            });

            it("has requests and limits, probes on its own port, and only the server socket, read-only", () => {
                assert.deepStrictEqual(d.metrics.resources, {
                    requests: { cpu: "10m", memory: "32Mi" },
                    limits: { cpu: "200m", memory: "128Mi" },
                });
                assert.deepStrictEqual(d.metrics.ports, [{ name: "metrics", containerPort: 9104 }]);
                assert.deepStrictEqual(d.metrics.livenessProbe.tcpSocket, { port: "metrics" });
                assert.deepStrictEqual(d.metrics.readinessProbe.httpGet, { port: "metrics", path: "/" });
                assert.deepStrictEqual(d.metrics.volumeMounts, [{ name: "run", mountPath: "/run/mysqld", readOnly: true }]);
                assert.strictEqual(d.metrics.securityContext.readOnlyRootFilesystem, true);
                assert.strictEqual(d.metrics.securityContext.allowPrivilegeEscalation, false);
            });

            it("creates a metrics Service with scrape annotations, and no operator objects unless asked", () => {
                const service = mocks.find(T.service, "mysql-metrics").inputs;
                assert.deepStrictEqual(service.metadata.annotations, {
                    "prometheus.io/scrape": "true",
                    "prometheus.io/port": "9104",
                    "prometheus.io/path": "/metrics",
                });
                assert.deepStrictEqual(service.spec.ports, [{ name: "metrics", port: 9104, targetPort: 9104 }]);
                assert.ok(matches(service.spec.selector, mocks.find(T.statefulSet, "mysql").inputs.spec.template.metadata.labels));
                assert.strictEqual(service.spec.publishNotReadyAddresses, true);
                assert.strictEqual(mocks.ofType(T.serviceMonitor).length, 0);
                assert.strictEqual(mocks.ofType(T.prometheusRule).length, 0);
                assert.strictEqual(mocks.ofType(T.configMap).length, 1, "only the scripts ConfigMap");
            });

            it("opens the exporter port, and only it, to other namespaces", () => {
                const ingress = mocks.find(T.networkPolicy, "mysql").inputs.spec.ingress;
                const metricsRule = ingress.find((r: any) => r.ports.some((p: any) => p.port === 9104));
                assert.deepStrictEqual(metricsRule, { from: [{ namespaceSelector: {} }], ports: [{ protocol: "TCP", port: 9104 }] });
            });
        });
    }

    it("leaves out the container, the Service and the port when metrics are off, but keeps the account's password", async () => {
        const d = await deploy({ metrics: { enabled: false } });
        assert.deepStrictEqual(d.pod.containers.map((c: any) => c.name), ["mysql"]);
        assert.strictEqual(d.find(T.service, "mysql-metrics"), undefined);
        const ingress = mocks.find(T.networkPolicy, "mysql").inputs.spec.ingress;
        assert.ok(ingress.every((r: any) => r.ports.every((p: any) => p.port !== 9104)));
        // Pod 0 creates the account once; turning metrics on later must find it.
        assert.ok(mocks.find(T.secret, "mysql-credentials").inputs.stringData["metrics-password"]);
    });

    describe("on request: ServiceMonitor, PrometheusRule, dashboard", () => {
        let objects: RecordedResource[];
        before(async () => {
            await deploy({
                metrics: { serviceMonitor: true, prometheusRule: true, dashboard: true, replicaLagAlertSeconds: 90, selectorLabels: { release: "kps" } },
            });
            objects = [...mocks.resources];
        });
        const one = (type: string, name: string) => {
            const found = objects.find((r) => r.type === type && r.name === name);
            assert.ok(found, `${type} ${name} registered`);
            return found;
        };

        it("the ServiceMonitor and PrometheusRule validate strictly against the prometheus-operator CRD schemas", async () => {
            for (const type of [T.serviceMonitor, T.prometheusRule]) {
                const object = one(type, "mysql").inputs;
                assert.deepStrictEqual(await crdSchemaProblems(type, object), [], type);
            }
        });

        it("the schema check is strict: an unknown field and a bad duration are both reported", async () => {
            const monitor = one(T.serviceMonitor, "mysql").inputs;
            const broken = { ...monitor, spec: { ...monitor.spec, endpoints: [{ port: "metrics", intervall: "30s", scrapeTimeout: "10 s" }] } };
            const problems = await crdSchemaProblems(T.serviceMonitor, broken);
            assert.strictEqual(problems.length, 2, problems.join("\n"));
            assert.match(problems[0], /scrapeTimeout must match pattern/);
            assert.match(problems[1], /'"intervall"' does not exist in type 'IEndpoint'/);
        });

        it("the ServiceMonitor selects the metrics Service alone, in the release's namespace", () => {
            const spec = one(T.serviceMonitor, "mysql").inputs.spec;
            const services = objects.filter((r) => r.type === T.service);
            const selected = services.filter((s) => matches(spec.selector.matchLabels, s.inputs.metadata.labels)).map((s) => s.name);
            assert.deepStrictEqual(selected, ["mysql-metrics"]);
            assert.deepStrictEqual(spec.namespaceSelector, { matchNames: ["db"] });
            assert.deepStrictEqual(spec.endpoints, [{ port: "metrics", path: "/metrics", interval: "30s", scrapeTimeout: "10s" }]);
        });

        it("both carry the labels a Prometheus selects them by", () => {
            for (const type of [T.serviceMonitor, T.prometheusRule]) {
                assert.strictEqual(one(type, "mysql").inputs.metadata.labels.release, "kps");
                assert.strictEqual(one(type, "mysql").inputs.metadata.namespace, "db");
            }
        });

        it("the PrometheusRule is the shipped rule file with the lag threshold set", () => {
            const groups = one(T.prometheusRule, "mysql").inputs.spec.groups;
            const shipped = shippedRuleGroups();
            assert.deepStrictEqual(groups.map((g: any) => g.rules.map((r: any) => r.alert)), shipped.map((g) => g.rules.map((r) => r.alert)));
            for (const [i, rule] of groups[0].rules.entries()) {
                const original = shipped[0].rules[i];
                if (rule.alert === "MySQLReplicaLagging") {
                    assert.match(rule.expr, /\) > 90$/);
                    assert.strictEqual(rule.expr.replace(/> 90$/, "> 30"), original.expr.trimEnd());
                } else {
                    assert.deepStrictEqual(rule, original);
                }
            }
        });

        it("the dashboard ConfigMap carries Grafana's sidecar label and the repository's dashboard JSON", async () => {
            const map = one(T.configMap, "mysql-dashboard").inputs;
            assert.strictEqual(map.metadata.labels.grafana_dashboard, "1");
            assert.deepStrictEqual(Object.keys(map.data), ["replicated-mysql.json"]);
            assert.strictEqual(map.data["replicated-mysql.json"], fs.readFileSync(DASHBOARD_FILE, "utf8"));
            assert.deepStrictEqual(await schemaProblems(T.configMap, map), []);
        });

        it("the dashboard shows per-pod QPS, replication lag of both engines, threads running, connections and volume use", () => {
            const dashboard = JSON.parse(fs.readFileSync(DASHBOARD_FILE, "utf8"));
            const exprs = dashboard.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr)).join("\n");
            for (const needed of [
                /rate\(mysql_global_status_queries\{/,
                /mysql_slave_status_seconds_behind_\(master\|source\)/,
                /mysql_global_status_threads_running/,
                /mysql_global_status_threads_connected/,
                /kubelet_volume_stats_used_bytes/,
            ]) {
                assert.match(exprs, needed);
            }
            assert.match(exprs, /by \(pod\)/);
        });

        it("every Kubernetes core object still validates strictly", async () => {
            for (const r of objects.filter((o) => o.type.startsWith("kubernetes:") && !o.type.includes("monitoring.coreos.com"))) {
                assert.deepStrictEqual(await schemaProblems(r.type, r.inputs), [], `${r.type} ${r.name}`);
            }
        });
    });

    describe("bad monitoring args are named before anything is created", () => {
        const cases: Array<[string, ReplicatedMySqlArgs["metrics"], string]> = [
            ["lag threshold of 0", { replicaLagAlertSeconds: 0 }, "metrics.replicaLagAlertSeconds must be a whole number of at least 1 (got 0)"],
            ["fractional lag threshold", { replicaLagAlertSeconds: 1.5 }, "metrics.replicaLagAlertSeconds must be a whole number of at least 1 (got 1.5)"],
            ["rules without metrics", { enabled: false, prometheusRule: true, serviceMonitor: true },
                "metrics.serviceMonitor, metrics.prometheusRule need metrics.enabled (it is false): there would be nothing to scrape"],
            ["latest exporter image", { image: "prom/mysqld-exporter:latest" },
                'metrics.image must name a tag other than latest, or a digest (got "prom/mysqld-exporter:latest")'],
            ["a string for a switch", { dashboard: "yes" as unknown as boolean }, 'metrics.dashboard must be true or false (got "yes")'],
            ["a bad selector label", { selectorLabels: { "bad key!": "x" } }, 'metrics.selectorLabels must be Kubernetes label keys and values (got "bad key!": "x")'],
        ];
        for (const [what, metrics, message] of cases) {
            it(what, () => {
                assert.throws(() => resolveArgs("mysql", { metrics }), (e: Error) => {
                    assert.strictEqual(e.message, `ReplicatedMySql "mysql" has invalid args: ${message}`);
                    return true;
                });
            });
        }
    });
});
