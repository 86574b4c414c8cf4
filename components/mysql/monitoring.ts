/**
 * Monitoring: the `metrics` container (prom/mysqld-exporter) in every pod, the metrics
 * Service, and on request a ServiceMonitor, a PrometheusRule and a Grafana dashboard
 * ConfigMap. Pure builders; index.ts creates the objects.
 *
 * The alert rules and the dashboard are plain files in ./monitoring/, the same files that
 * `promtool` tests (test/monitoring/) and that a reader can load by hand.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { ResolvedArgs } from "./args";
import { METRICS_PORT, METRICS_USER, SECRET_KEYS, containerSecurity, objectNames, selectorLabels } from "./manifests";

/**
 * The exporter image: the official one, pinned. v0.19.0 asks MySQL 8.4 and later
 * `SHOW REPLICA STATUS` (they removed `SHOW SLAVE STATUS`) and MariaDB `SHOW ALL SLAVES
 * STATUS`. It is the newest version the Go module proxy serves here (v0.20.0, the newest tag,
 * is refused), so the data-plane suite scrapes real pods with this exact version, built from
 * its module; the image is that binary on a busybox base (the project's Dockerfile).
 */
export const METRICS_IMAGE = "prom/mysqld-exporter:v0.19.0";
export const DEFAULT_METRICS_RESOURCES = {
    requests: { cpu: "10m", memory: "32Mi" },
    limits: { cpu: "200m", memory: "128Mi" },
};
/** Seconds behind the primary above which MySQLReplicaLagging fires (after 2 minutes). */
export const DEFAULT_REPLICA_LAG_ALERT_SECONDS = 30;
/** Label Grafana's dashboard sidecar (kube-prometheus-stack, the Grafana chart) watches for. */
export const GRAFANA_DASHBOARD_LABEL = "grafana_dashboard";

export const MONITORING_DIR = path.join(__dirname, "monitoring");
export const RULES_FILE = path.join(MONITORING_DIR, "alerts.yaml");
export const DASHBOARD_FILE = path.join(MONITORING_DIR, "dashboard.json");

const LAG_ALERT = "MySQLReplicaLagging";

/** Names of the monitoring objects, derived from the component's name. */
export function monitoringNames(name: string) {
    return { service: `${name}-metrics`, serviceMonitor: name, prometheusRule: name, dashboard: `${name}-dashboard` };
}

/** Component label of the metrics Service, so that a ServiceMonitor selects it and not the other Services. */
const METRICS_COMPONENT = { "app.kubernetes.io/component": "metrics" };

/** Labels of the metrics Service: the release's common labels with its own component. */
export function metricsServiceLabels(commonLabels: Record<string, string>): Record<string, string> {
    return { ...commonLabels, ...METRICS_COMPONENT };
}

/**
 * The `metrics` container. It reaches the server on the shared socket as its own account;
 * the password reaches it only through the environment, from the Secret (the exporter reads
 * MYSQLD_EXPORTER_PASSWORD), never on its command line.
 */
export function metricsContainer(args: ResolvedArgs): k8s.types.input.core.v1.Container {
    const port = { port: "metrics" };
    return {
        name: "metrics",
        image: args.metrics.image,
        args: [
            "--mysqld.address=unix:///run/mysqld/mysqld.sock",
            `--mysqld.username=${METRICS_USER}`,
            `--web.listen-address=:${METRICS_PORT}`,
        ],
        env: [
            {
                name: "MYSQLD_EXPORTER_PASSWORD",
                valueFrom: { secretKeyRef: { name: objectNames(args.name).secret, key: SECRET_KEYS.metrics } },
            },
        ],
        ports: [{ name: "metrics", containerPort: METRICS_PORT }],
        // Only the socket; read-only is enough to connect to it.
        volumeMounts: [{ name: "run", mountPath: "/run/mysqld", readOnly: true }],
        resources: args.metrics.resources,
        securityContext: containerSecurity,
        // The exporter answers (with mysql_up 0) while the server is down: these probes watch
        // the exporter only, so a database outage never restarts it.
        livenessProbe: { tcpSocket: port, periodSeconds: 20, timeoutSeconds: 3, failureThreshold: 3 },
        readinessProbe: { httpGet: { ...port, path: "/" }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    };
}

/** Annotations for a plain Prometheus's `kubernetes-service-endpoints` scrape job. */
export function scrapeAnnotations(): Record<string, string> {
    return { "prometheus.io/scrape": "true", "prometheus.io/port": String(METRICS_PORT), "prometheus.io/path": "/metrics" };
}

/** The metrics Service: one endpoint per pod, NotReady pods included (those are the ones to watch). */
export function metricsServiceSpec(args: ResolvedArgs): k8s.types.input.core.v1.ServiceSpec {
    return {
        clusterIP: "None",
        publishNotReadyAddresses: true,
        selector: selectorLabels(args.name),
        ports: [{ name: "metrics", port: METRICS_PORT, targetPort: METRICS_PORT }],
    };
}

/** ServiceMonitor spec: scrape the metrics Service's endpoints every 30 s. */
export function serviceMonitorSpec(args: ResolvedArgs, namespace: pulumi.Input<string>) {
    return {
        selector: { matchLabels: { ...selectorLabels(args.name), ...METRICS_COMPONENT } },
        namespaceSelector: { matchNames: [namespace] },
        endpoints: [{ port: "metrics", path: "/metrics", interval: "30s", scrapeTimeout: "10s" }],
    };
}

interface Rule {
    alert?: string;
    record?: string;
    expr: string;
    for?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
}
interface RuleGroup {
    name: string;
    rules: Rule[];
}

/** The rule groups of the shipped rule file, parsed. */
export function shippedRuleGroups(): RuleGroup[] {
    const parsed = yaml.load(fs.readFileSync(RULES_FILE, "utf8")) as { groups?: RuleGroup[] };
    if (!Array.isArray(parsed?.groups)) throw new Error(`${RULES_FILE} has no rule groups`);
    return parsed.groups;
}

/**
 * PrometheusRule spec: the shipped rule file with the lag threshold set. The file holds the
 * default threshold as the lag alert's last term; anything else there is a broken file.
 */
export function prometheusRuleSpec(lagAlertSeconds: number): { groups: RuleGroup[] } {
    const defaultTerm = `> ${DEFAULT_REPLICA_LAG_ALERT_SECONDS}`;
    let found = 0;
    const groups = shippedRuleGroups().map((group) => ({
        ...group,
        rules: group.rules.map((rule) => {
            if (rule.alert !== LAG_ALERT) return rule;
            found++;
            const expr = rule.expr.trimEnd();
            if (!expr.endsWith(defaultTerm)) {
                throw new Error(`${RULES_FILE}: ${LAG_ALERT} must end with "${defaultTerm}" (got "${expr}")`);
            }
            return { ...rule, expr: `${expr.slice(0, -defaultTerm.length)}> ${lagAlertSeconds}` };
        }),
    }));
    if (found !== 1) throw new Error(`${RULES_FILE} must hold exactly one ${LAG_ALERT} rule (found ${found})`);
    return { groups };
}

/** Data of the dashboard ConfigMap: the dashboard JSON under the file name Grafana's sidecar writes. */
export function dashboardConfigMapData(): Record<string, string> {
    return { "replicated-mysql.json": fs.readFileSync(DASHBOARD_FILE, "utf8") };
}
