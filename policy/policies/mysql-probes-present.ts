import { PolicyConfig, integer } from "../lib/config";
import { databaseStatefulSetPolicy } from "../lib/define";
import { asNumber, asObject, isUnknown } from "../lib/values";

const name = "mysql-probes-present";

const config = new PolicyConfig(name, {
    minimumInitialDelaySeconds: integer(
        "Without a startupProbe, the least livenessProbe.initialDelaySeconds that leaves mysqld time for crash recovery.",
        120, 0, 3600),
});

/**
 * Readiness keeps mysql-read from sending queries to a replica that is cloning or broken; liveness
 * restarts a hung mysqld. Crash recovery after an unclean stop can take minutes, and a liveness
 * probe that starts too early kills mysqld mid-recovery, over and over.
 */
export const mysqlProbesPresent = databaseStatefulSetPolicy({
    name,
    description: "The database container has readiness and liveness probes, and a startup probe or a liveness delay long enough for crash recovery.",
    enforcementLevel: "mandatory",
    severity: "high",
    url: "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
    remediationSteps: "Add readinessProbe, livenessProbe and startupProbe to the database container.",
    config,
    validate(statefulSet, { minimumInitialDelaySeconds }, report) {
        const database = statefulSet.requireDatabaseContainer(report);
        if (!database) {
            return;
        }
        const { container, path, label } = database;
        if (container.readinessProbe === undefined || container.readinessProbe === null) {
            report(`${statefulSet.label}: ${label} has no readinessProbe (${path}.readinessProbe), so the read Service sends queries to replicas that are still cloning or broken; ` +
                `add a readinessProbe.`);
        }
        const liveness = container.livenessProbe;
        if (liveness === undefined || liveness === null) {
            report(`${statefulSet.label}: ${label} has no livenessProbe (${path}.livenessProbe), so a hung mysqld is never restarted; add a livenessProbe.`);
            return;
        }
        if (isUnknown(liveness) || isUnknown(container.startupProbe)) {
            return;
        }
        if (container.startupProbe === undefined || container.startupProbe === null) {
            const delay = asObject(liveness)?.initialDelaySeconds;
            if (isUnknown(delay)) {
                return;
            }
            const seconds = asNumber(delay) ?? 0;
            if (seconds < minimumInitialDelaySeconds) {
                const shown = delay === undefined ? "is not set (0)" : `is ${seconds}`;
                report(`${statefulSet.label}: ${label} has no startupProbe and ${path}.livenessProbe.initialDelaySeconds ${shown}, ` +
                    `so the liveness probe can kill mysqld during crash recovery; add a startupProbe or raise initialDelaySeconds to at least ${minimumInitialDelaySeconds}.`);
            }
        }
    },
});
