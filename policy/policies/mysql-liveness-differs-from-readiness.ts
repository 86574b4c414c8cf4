import { isDeepStrictEqual } from "util";
import { PolicyConfig } from "../lib/config";
import { databaseStatefulSetPolicy } from "../lib/define";
import { PlainObject, asArray, asObject, isUnknown, snapshotContainsUnknown } from "../lib/values";

const name = "mysql-liveness-differs-from-readiness";

const handlers = ["exec", "httpGet", "tcpSocket", "grpc"] as const;

/** The part of a probe that decides pass or fail; timings do not change what is checked. */
function check(probe: PlainObject): PlainObject {
    const result: PlainObject = {};
    for (const handler of handlers) {
        if (probe[handler] !== undefined) {
            result[handler] = probe[handler];
        }
    }
    return result;
}

function describe(probe: PlainObject): string {
    const command = asArray(asObject(probe.exec)?.command);
    if (command) {
        return `exec ${command.join(" ")}`;
    }
    const handler = handlers.find(h => probe[h] !== undefined);
    return handler ? `${handler} ${JSON.stringify(probe[handler])}` : "no handler";
}

/**
 * Readiness answers "should this replica get queries" (lagging, cloning); liveness answers "is
 * mysqld hung". Running the same check for both restarts a replica that is merely behind, which
 * makes it fall further behind. Stricter than Kyverno's ensure-probes-different: probes that
 * differ only in timings still run the same check, and are reported.
 */
export const mysqlLivenessDiffersFromReadiness = databaseStatefulSetPolicy({
    name,
    description: "The database container's liveness probe runs a different check than its readiness probe.",
    enforcementLevel: "mandatory",
    severity: "medium",
    url: "https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/",
    remediationSteps: "Make the liveness probe check only that mysqld answers; keep replication and lag checks in the readiness probe.",
    config: new PolicyConfig(name, {}),
    validate(statefulSet, _config, report) {
        const database = statefulSet.databaseContainer();
        if (!database || isUnknown(database)) {
            return;
        }
        const liveness = asObject(database.container.livenessProbe);
        const readiness = asObject(database.container.readinessProbe);
        if (!liveness || !readiness) {
            return;
        }
        const livenessCheck = check(liveness);
        if (snapshotContainsUnknown(livenessCheck) || snapshotContainsUnknown(check(readiness))) {
            return;
        }
        if (Object.keys(livenessCheck).length > 0 && isDeepStrictEqual(livenessCheck, check(readiness))) {
            report(`${statefulSet.label}: ${database.label} ${database.path}.livenessProbe runs the same check as its readinessProbe (${describe(liveness)}), ` +
                `so a replica that is only lagging or cloning gets restarted; make the liveness probe check only that mysqld is alive.`);
        }
    },
});
