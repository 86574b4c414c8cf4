import { PolicyConfig, pattern } from "../lib/config";
import { databaseStatefulSetPolicy } from "../lib/define";
import { asArray, asObject, asString, isUnknown } from "../lib/values";

const name = "mysql-passwords-from-secrets";

const config = new PolicyConfig(name, {
    sensitiveNamePattern: pattern(
        "Environment variables whose name matches this (case-insensitive) regular expression must take their value from a Secret.",
        "PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY"),
    exemptNamePattern: pattern(
        "Names that match the sensitive pattern but hold no secret: paths to mounted secret files and the images' on/off switches.",
        "(_FILE|_RANDOM_ROOT_PASSWORD|_ONETIME_PASSWORD)$"),
});

/** The official images' switches that start a server whose root account has no password. */
const emptyPasswordSwitches = ["MYSQL_ALLOW_EMPTY_PASSWORD", "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD", "MARIADB_ALLOW_EMPTY_PASSWORD", "ALLOW_EMPTY_PASSWORD"];

/**
 * A literal password sits in the Pulumi state, the StatefulSet object and every `kubectl get -o
 * yaml`; an empty one (the tutorial's MYSQL_ALLOW_EMPTY_PASSWORD) lets anyone in the cluster
 * network log in as root. A Secret keeps the value out of the pod spec and under RBAC.
 */
export const mysqlPasswordsFromSecrets = databaseStatefulSetPolicy({
    name,
    description: "Passwords and other secrets in a database StatefulSet's env come from Secrets; no container allows an empty password.",
    enforcementLevel: "mandatory",
    severity: "critical",
    url: "https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables",
    remediationSteps: "Store the value in a Kubernetes Secret (or a Pulumi secret rendered into one) and use env[].valueFrom.secretKeyRef.",
    config,
    validate(statefulSet, { sensitiveNamePattern, exemptNamePattern }, report) {
        for (const { container, path, label } of statefulSet.allContainers()) {
            (asArray(container.env) ?? []).forEach((item, index) => {
                const variable = asObject(item);
                const variableName = asString(variable?.name);
                if (!variable || variableName === undefined) {
                    return;
                }
                const where = `${statefulSet.label}: ${label} env ${variableName} (${path}.env[${index}])`;
                const value = variable.value;
                if (emptyPasswordSwitches.includes(variableName.toUpperCase())) {
                    if (typeof value === "string" && value !== "") {
                        report(`${where} allows an empty root password; remove it and set the root password from a Secret with valueFrom.secretKeyRef.`);
                    }
                    return;
                }
                if (!sensitiveNamePattern.test(variableName) || exemptNamePattern.test(variableName)) {
                    return;
                }
                if (isUnknown(value) || isUnknown(variable.valueFrom)) {
                    return;
                }
                const valueFrom = asObject(variable.valueFrom);
                if (valueFrom?.secretKeyRef !== undefined) {
                    return;
                }
                if (valueFrom) {
                    const source = Object.keys(valueFrom)[0] ?? "valueFrom";
                    report(`${where} takes its value from ${source}, which is not a Secret; use valueFrom.secretKeyRef.`);
                } else if (value === undefined || value === null || value === "") {
                    report(`${where} is empty; an empty password lets anyone log in: set it from a Secret with valueFrom.secretKeyRef.`);
                } else {
                    report(`${where} has a literal value, which ends up in the Pulumi state and the pod spec; set it from a Secret with valueFrom.secretKeyRef.`);
                }
            });
        }
    },
});
