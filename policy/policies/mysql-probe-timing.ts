import { PolicyConfig, integer } from "../lib/config";
import { databaseStatefulSetPolicy } from "../lib/define";
import { asObject, isUnknown } from "../lib/values";

const name = "mysql-probe-timing";

const config = new PolicyConfig(name, {
    minTimeoutSeconds: integer("Least probe timeoutSeconds (Kubernetes defaults to 1 when unset).", 2, 1, 600),
    maxTimeoutSeconds: integer("Greatest probe timeoutSeconds.", 30, 1, 600),
    minPeriodSeconds: integer("Least probe periodSeconds (Kubernetes defaults to 10 when unset).", 2, 1, 3600),
    maxPeriodSeconds: integer("Greatest probe periodSeconds.", 60, 1, 3600),
}, ({ minTimeoutSeconds, maxTimeoutSeconds, minPeriodSeconds, maxPeriodSeconds }) => {
    if (minTimeoutSeconds > maxTimeoutSeconds) {
        return `minTimeoutSeconds (${minTimeoutSeconds}) is greater than maxTimeoutSeconds (${maxTimeoutSeconds})`;
    }
    if (minPeriodSeconds > maxPeriodSeconds) {
        return `minPeriodSeconds (${minPeriodSeconds}) is greater than maxPeriodSeconds (${maxPeriodSeconds})`;
    }
    return undefined;
});

const probes = ["startupProbe", "livenessProbe", "readinessProbe"] as const;
const kubernetesDefaults = { timeoutSeconds: 1, periodSeconds: 10 };

/**
 * An exec probe that starts bash and a mysql client regularly needs more than the 1 s default on
 * a busy node, and a probe that times out counts as failed: liveness then restarts a healthy
 * server. Very long timeouts or periods hide a dead server for minutes.
 */
export const mysqlProbeTiming = databaseStatefulSetPolicy({
    name,
    description: "The database container's probes use timeouts and periods within the configured ranges.",
    enforcementLevel: "mandatory",
    severity: "medium",
    url: "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#configure-probes",
    remediationSteps: "Set timeoutSeconds and periodSeconds on every probe of the database container within the configured ranges.",
    config,
    validate(statefulSet, limits, report) {
        const database = statefulSet.databaseContainer();
        if (!database || isUnknown(database)) {
            return;
        }
        const ranges = {
            timeoutSeconds: [limits.minTimeoutSeconds, limits.maxTimeoutSeconds],
            periodSeconds: [limits.minPeriodSeconds, limits.maxPeriodSeconds],
        } as const;
        for (const probeName of probes) {
            const probe = asObject(database.container[probeName]);
            if (!probe) {
                continue;
            }
            for (const setting of ["timeoutSeconds", "periodSeconds"] as const) {
                const given = probe[setting];
                if (isUnknown(given)) {
                    continue;
                }
                const value = typeof given === "number" ? given : kubernetesDefaults[setting];
                const [min, max] = ranges[setting];
                if (value < min || value > max) {
                    const shown = typeof given === "number" ? `is ${value}` : `is not set (Kubernetes default ${value})`;
                    report(`${statefulSet.label}: ${database.label} ${database.path}.${probeName}.${setting} ${shown}, outside the allowed range ${min}-${max}; ` +
                        `set ${setting} between ${min} and ${max}.`);
                }
            }
        }
    },
});
