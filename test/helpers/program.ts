import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { ORGANIZATION, RecordedResource, STACK_REFERENCE, mocks, resolveOutput, useMocks } from "./mocks";

export const REPO_ROOT = path.join(__dirname, "..", "..");

/** The stack files shipped in the repo, by stack name. */
export const STACKS = ["dev", "linstor", "eks"] as const;
export type StackName = (typeof STACKS)[number];

/** The `config:` of `Pulumi.<stack>.yaml`, as the engine hands it to the program (strings). */
export function stackConfig(stack: StackName): Record<string, string> {
    const file = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
    const parsed = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed.config ?? {})) {
        config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return config;
}

export interface ProgramRun {
    /** Every resource the program registered, in order. */
    resources: RecordedResource[];
    /** The stack outputs, resolved. */
    outputs: Record<string, unknown>;
    /** Names of the outputs that are Pulumi secrets. */
    secretOutputs: string[];
}

/**
 * What the clusters of the stack files hold before the program runs, for runProgram: the
 * StorageClasses the program uses there without creating them (minikube's `standard`, the
 * local node's `local-node`), which it reads before anything else.
 */
export const CLUSTER_STORAGE_CLASSES: Record<string, Record<string, any>> = {
    "kubernetes:storage.k8s.io/v1:StorageClass::standard": { metadata: { name: "standard" }, provisioner: "k8s.io/minikube-hostpath" },
    "kubernetes:storage.k8s.io/v1:StorageClass::local-node": { metadata: { name: "local-node" }, provisioner: "kubernetes.io/no-provisioner" },
};

/** The key under which `existing` holds this stack's last deployment, for runProgram. */
export const LAST_DEPLOYMENT = `${STACK_REFERENCE}::${ORGANIZATION}/replicated-mysql/program`;

/**
 * Runs the real program (index.ts) under Pulumi mocks with the given config
 * (`replicated-mysql:*`, `aws:*`, `pulumi:*` keys) and returns what it registered and
 * exported. `existing` holds what the program may read (see RecordingMocks.existing) beside
 * CLUSTER_STORAGE_CLASSES, such as the stack's last deployment under LAST_DEPLOYMENT:
 * `{ outputs: { storageSize: "10Gi" } }`; a key given `undefined` does not exist.
 */
export async function runProgram(
    config: Record<string, string>,
    secretKeys: string[] = [],
    existing: Record<string, Record<string, any> | undefined> = {},
): Promise<ProgramRun> {
    await useMocks("program");
    for (const [key, state] of Object.entries({ ...CLUSTER_STORAGE_CLASSES, ...existing })) {
        if (state !== undefined) mocks.existing.set(key, state);
    }
    pulumi.runtime.setAllConfig(config, secretKeys);
    // index.ts exports the program's main function; it reads the config on each call.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const main: () => Promise<Record<string, pulumi.Output<unknown>>> = require(path.join(REPO_ROOT, "index.ts"));
    const exported = await main();
    const outputs: Record<string, unknown> = {};
    const secretOutputs: string[] = [];
    for (const [key, output] of Object.entries(exported)) {
        const { value, secret } = await resolveOutput(output);
        outputs[key] = value;
        if (secret) secretOutputs.push(key);
    }
    await mocks.settle();
    return { resources: [...mocks.resources], outputs, secretOutputs };
}

/** A kubeconfig of two contexts, the current one named as local:up's generated file names it. */
export const KUBECONFIG_TEXT = [
    "apiVersion: v1",
    "kind: Config",
    "clusters: [{name: local, cluster: {server: 'https://127.0.0.1:6443'}}]",
    "users: [{name: admin, user: {token: secret-token}}]",
    "contexts:",
    "- {name: local-e2e, context: {cluster: local, user: admin}}",
    "- {name: minikube, context: {cluster: local, user: admin}}",
    "current-context: local-e2e",
    "",
].join("\n");

let kubeconfigDir: string | undefined;
/** Writes TEXT (default KUBECONFIG_TEXT) to a file NAME in a temporary directory; returns its path. */
export function writeKubeconfig(name = "kubeconfig", text = KUBECONFIG_TEXT): string {
    kubeconfigDir ??= fs.mkdtempSync(path.join(os.tmpdir(), "replicated-mysql-kubeconfig-"));
    const file = path.join(kubeconfigDir, name);
    fs.writeFileSync(file, text);
    return file;
}
