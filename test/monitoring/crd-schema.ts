/**
 * Strict validation of prometheus-operator objects (ServiceMonitor, PrometheusRule), offline,
 * from @kubernetes-models/prometheus-operator, which is generated from the operator's CRDs:
 * - its compiled JSON-schema validators check types, required fields, enums and patterns
 *   (durations such as `30s`), but accept unknown field names;
 * - its TypeScript interfaces list every field, so the object written as a literal of that
 *   interface fails TypeScript's excess-property check on any field the CRD lacks.
 */
import * as path from "path";
import * as ts from "typescript";

// The package exports ESM only; a real dynamic import reaches it from CommonJS output.
const importEsm = new Function("specifier", "return import(specifier)") as (s: string) => Promise<any>;
const PACKAGE = "@kubernetes-models/prometheus-operator";

/** The kinds this project creates, by their Pulumi type. */
const KINDS: Record<string, string> = {
    "kubernetes:monitoring.coreos.com/v1:ServiceMonitor": "ServiceMonitor",
    "kubernetes:monitoring.coreos.com/v1:PrometheusRule": "PrometheusRule",
};

function kindOf(pulumiType: string): string {
    const kind = KINDS[pulumiType];
    if (!kind) throw new Error(`no prometheus-operator schema for ${pulumiType}`);
    return kind;
}

/** Fields of `object` that the CRD's interface does not have, as TypeScript reports them. */
function unknownFields(kind: string, object: Record<string, unknown>): string[] {
    const file = path.join(__dirname, `__${kind}.check.ts`);
    const source =
        `import type { I${kind} } from "${PACKAGE}/monitoring.coreos.com/v1/${kind}";\n` +
        `export const object: I${kind} = ${JSON.stringify(object, null, 2)};\n`;
    const options: ts.CompilerOptions = {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        skipLibCheck: true,
        types: [],
    };
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    const getSourceFile = host.getSourceFile.bind(host);
    host.fileExists = (name) => name === file || ts.sys.fileExists(name);
    host.readFile = (name) => (name === file ? source : readFile(name));
    host.getSourceFile = (name, version) =>
        name === file ? ts.createSourceFile(name, source, version) : getSourceFile(name, version);
    const program = ts.createProgram([file], options, host);
    return ts
        .getPreEmitDiagnostics(program)
        .map((d) => `${kind}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
}

/** Every schema problem of a prometheus-operator object; empty when valid. */
export async function crdSchemaProblems(pulumiType: string, object: Record<string, unknown>): Promise<string[]> {
    const kind = kindOf(pulumiType);
    const models = await importEsm(`${PACKAGE}/monitoring.coreos.com/v1`).catch((e: Error) => {
        throw new Error(`${PACKAGE} is not installed (npm ci installs it, a devDependency): ${e.message}`);
    });
    const problems: string[] = [];
    try {
        new models[kind](object).validate();
    } catch (e) {
        problems.push(`${kind}: ${(e as Error).message}`);
    }
    return [...problems, ...unknownFields(kind, object)];
}
