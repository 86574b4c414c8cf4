import { PolicyConfig } from "../lib/config";
import { databaseStatefulSetPolicy } from "../lib/define";
import { parseImage } from "../lib/image";
import { asArray, at, isUnknown } from "../lib/values";

const name = "mysql-metrics-exporter";

/** True for an image of mysqld-exporter, from any registry (prom/, quay.io/prometheus/, bitnami/). */
function isExporterImage(image: unknown): boolean {
    return typeof image === "string" && /(^|\/)mysqld[-_]exporter$/.test(parseImage(image).repository.toLowerCase());
}

/**
 * A database nobody can see fails silently: replication stops, a replica falls behind or a volume
 * fills, and the first sign is a user's stale read or a refused write. A mysqld-exporter beside
 * every server lets Prometheus alert first. Advisory: some teams monitor databases another way.
 */
export const mysqlMetricsExporter = databaseStatefulSetPolicy({
    name,
    description: "The database pods run a mysqld-exporter container, so that Prometheus sees every server.",
    enforcementLevel: "advisory",
    severity: "low",
    url: "https://github.com/prometheus/mysqld_exporter",
    remediationSteps: "Leave the component's metrics on (the default; stack key metrics), or add a prom/mysqld-exporter container.",
    config: new PolicyConfig(name, {}),
    validate(statefulSet, _config, report) {
        const list = at(statefulSet.props, "spec", "template", "spec", "containers");
        if (isUnknown(list) || (asArray(list) ?? []).some((c) => isUnknown(at(c, "image")))) {
            return;
        }
        if (!statefulSet.containers("containers").some(({ container }) => isExporterImage(container.image))) {
            report(`${statefulSet.label}: no container in spec.template.spec.containers runs mysqld-exporter, so Prometheus cannot see ` +
                "whether the servers are up, replicating or filling their volumes; turn the component's metrics on or add a prom/mysqld-exporter container.");
        }
    },
});
