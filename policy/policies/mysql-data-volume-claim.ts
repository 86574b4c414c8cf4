import { PolicyConfig, absolutePath, normalizePath } from "../lib/config";
import { databaseStatefulSetPolicy } from "../lib/define";
import { asArray, asObject, asString, at, isUnknown, show } from "../lib/values";

const name = "mysql-data-volume-claim";

const config = new PolicyConfig(name, {
    dataDirectory: absolutePath(
        "Where the engine keeps its data (mysql and mariadb images: /var/lib/mysql); the database container must mount a volume claim there.",
        "/var/lib/mysql",
    ),
});

const singleWriterModes = ["ReadWriteOnce", "ReadWriteOncePod"];

/**
 * The data must live on a per-pod PersistentVolumeClaim that only one pod writes: without
 * volumeClaimTemplates the datadir is node-local and lost when the pod moves, and a shared
 * (ReadWriteMany) volume invites two mysqld processes onto one datadir.
 */
export const mysqlDataVolumeClaim = databaseStatefulSetPolicy({
    name,
    description: "A database StatefulSet keeps its data on a ReadWriteOnce volumeClaimTemplate mounted at the engine's data directory.",
    enforcementLevel: "mandatory",
    severity: "critical",
    url: "https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#volume-claim-templates",
    remediationSteps: "Add a volumeClaimTemplate named e.g. \"data\" with accessModes [ReadWriteOnce] and mount it at /var/lib/mysql in the database container.",
    config,
    validate(statefulSet, { dataDirectory }, report) {
        const templates = at(statefulSet.props, "spec", "volumeClaimTemplates");
        if (isUnknown(templates)) {
            return;
        }
        const claims = asArray(templates) ?? [];
        if (claims.length === 0) {
            report(`${statefulSet.label}: spec.volumeClaimTemplates is empty, so the database keeps its data on the node and loses it when the pod moves; ` +
                `add a volumeClaimTemplate (e.g. "data", ReadWriteOnce) and mount it at ${dataDirectory}.`);
            return;
        }
        const claimNames: string[] = [];
        let claimNamesKnown = true;
        claims.forEach((claim, index) => {
            const claimName = at(claim, "metadata", "name");
            claimNamesKnown &&= !isUnknown(claimName);
            if (typeof claimName === "string") {
                claimNames.push(claimName);
            }
            const field = `spec.volumeClaimTemplates[${index}]${typeof claimName === "string" ? ` ("${claimName}")` : ""}.spec.accessModes`;
            const modes = at(claim, "spec", "accessModes");
            const list = asArray(modes) ?? [];
            if (isUnknown(modes) || list.some(isUnknown)) {
                return;
            }
            if (list.length === 0) {
                report(`${statefulSet.label}: ${field} is not set; a database volume must have a single writer: set accessModes: ["ReadWriteOnce"].`);
            } else if (!list.every(mode => typeof mode === "string" && singleWriterModes.includes(mode))) {
                report(`${statefulSet.label}: ${field} is ${show(list)}; a database volume must have a single writer: set accessModes: ["ReadWriteOnce"].`);
            }
        });

        const database = statefulSet.requireDatabaseContainer(report);
        if (!database) {
            return;
        }
        const mounts = database.container.volumeMounts;
        if (isUnknown(mounts)) {
            return;
        }
        const suggestion = claimNames[0] ?? "data";
        let undecided = false;
        const dataMount = (asArray(mounts) ?? []).map(asObject).find(mount => {
            const path = mount?.mountPath;
            undecided ||= isUnknown(path);
            return typeof path === "string" && normalizePath(path) === dataDirectory;
        });
        if (!dataMount) {
            if (!undecided) {
                report(`${statefulSet.label}: ${database.label} (${database.path}.volumeMounts) mounts nothing at ${dataDirectory}, where the engine keeps its data; ` +
                    `mount volume claim "${suggestion}" there.`);
            }
            return;
        }
        const volume = asString(dataMount.name);
        if (volume !== undefined && claimNamesKnown && !claimNames.includes(volume)) {
            report(`${statefulSet.label}: ${database.label} mounts volume "${volume}" at ${dataDirectory}, which is not one of spec.volumeClaimTemplates (${claimNames.join(", ")}), ` +
                `so the data does not outlive the pod; mount volume claim "${suggestion}" there.`);
        }
    },
});
