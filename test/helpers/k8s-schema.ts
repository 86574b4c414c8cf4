/**
 * Strict validation of Kubernetes objects against the Kubernetes OpenAPI schema, offline.
 *
 * Two generated sources, because neither is enough alone:
 * - kubernetes-models' compiled JSON-schema validators check types, required fields,
 *   enums and formats, but accept unknown field names (`readynessProbe` passes);
 * - @kubernetes/client-node's generated models list every field of every type
 *   (`attributeTypeMap`), which drives a walk that rejects any field the API lacks.
 */
// Generated ESM model classes; Node >= 22 loads them with require().
// eslint-disable-next-line @typescript-eslint/no-require-imports
const models: Record<string, { attributeTypeMap?: Array<{ baseName: string; type: string }> }> = require(
    "@kubernetes/client-node/dist/gen/models/all.js",
);

// kubernetes-models exports ESM only (an "import" condition), which TypeScript's CommonJS
// output would turn into require(); a real dynamic import reaches it.
const importEsm = new Function("specifier", "return import(specifier)") as (s: string) => Promise<any>;

const SCALARS = new Set(["string", "number", "boolean", "Date", "any", "object", "IntOrString"]);

/** `kubernetes:apps/v1:StatefulSet` → group `apps`, version `v1`, kind `StatefulSet`. */
export function parsePulumiType(type: string): { group: string; version: string; kind: string } {
    const match = /^kubernetes:([^/]+)\/([^:]+):(.+)$/.exec(type);
    if (!match) throw new Error(`not a Kubernetes resource type: ${type}`);
    return { group: match[1], version: match[2], kind: match[3] };
}

function pascal(word: string): string {
    return word.charAt(0).toUpperCase() + word.slice(1);
}

/** Names every field of `value` (a `typeName`) that the API does not define. */
function unknownFields(value: unknown, typeName: string, path: string, problems: string[]): void {
    if (value === null || value === undefined || SCALARS.has(typeName)) return;
    const array = /^Array<(.+)>$/.exec(typeName);
    if (array) {
        if (Array.isArray(value)) value.forEach((item, i) => unknownFields(item, array[1], `${path}[${i}]`, problems));
        return;
    }
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(typeName);
    if (map) {
        if (typeof value === "object") {
            for (const [key, item] of Object.entries(value as object)) {
                unknownFields(item, map[1], `${path}.${key}`, problems);
            }
        }
        return;
    }
    const model = models[typeName];
    if (!model?.attributeTypeMap) throw new Error(`no schema for type ${typeName} (at ${path})`);
    if (typeof value !== "object" || Array.isArray(value)) return; // a type error, reported by the other check
    const fields = new Map(model.attributeTypeMap.map((a) => [a.baseName, a.type]));
    for (const [key, item] of Object.entries(value as object)) {
        const fieldType = fields.get(key);
        if (fieldType === undefined) {
            problems.push(`${path}.${key}: unknown field (not in ${typeName})`);
        } else {
            unknownFields(item, fieldType, `${path}.${key}`, problems);
        }
    }
}

/**
 * Every schema problem of a Kubernetes object of the given Pulumi type: unknown fields,
 * wrong types, missing required fields, values outside an enum. Empty when valid.
 */
export async function schemaProblems(pulumiType: string, object: Record<string, unknown>): Promise<string[]> {
    const { group, version, kind } = parsePulumiType(pulumiType);
    const groupPrefix = group === "core" ? "" : pascal(group.split(".")[0]);
    const problems: string[] = [];
    unknownFields(object, `${pascal(version)}${kind}`, kind, problems);

    const schemaName = `IoK8sApi${group === "core" ? "Core" : groupPrefix}${pascal(version)}${kind}`;
    const { validate } = await importEsm(`kubernetes-models/_schemas/${schemaName}`);
    if (!validate(object)) {
        for (const error of validate.errors as Array<{ instancePath: string; message?: string; keyword: string; params: object }>) {
            problems.push(`${kind}${error.instancePath.replace(/\//g, ".")}: ${error.keyword} ${JSON.stringify(error.params)}`);
        }
    }
    return problems;
}
