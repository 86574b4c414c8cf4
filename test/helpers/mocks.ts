import * as pulumi from "@pulumi/pulumi";

/** Pulumi's marker for a secret value inside serialized inputs. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** A resource as the program registered it with the (mock) engine. */
export interface RecordedResource {
    type: string;
    name: string;
    /** Inputs with secret wrappers removed. */
    inputs: any;
    /** Paths (dot-separated) of inputs that arrived marked secret. */
    secretPaths: string[];
    /** Provider reference (`urn::id`) the resource was registered with, if any. */
    provider?: string;
    custom: boolean;
    /** A read of an existing object (`Resource.get`, a StackReference), not a registration. */
    read: boolean;
}

/** Removes Pulumi's secret wrappers, noting where they were. */
export function unwrapSecrets(value: any, path: string, secretPaths: string[]): any {
    if (Array.isArray(value)) {
        return value.map((item, i) => unwrapSecrets(item, `${path}[${i}]`, secretPaths));
    }
    if (value !== null && typeof value === "object") {
        if (value[SECRET_SIG_KEY] === SECRET_SIG) {
            secretPaths.push(path);
            return unwrapSecrets(value.value, path, []);
        }
        const out: Record<string, any> = {};
        for (const [key, item] of Object.entries(value)) {
            out[key] = unwrapSecrets(item, path ? `${path}.${key}` : key, secretPaths);
        }
        return out;
    }
    return value;
}

/** The engine's own type of a stack's read of another stack's (or its own) outputs. */
export const STACK_REFERENCE = "pulumi:pulumi:StackReference";

/** Organization of the mocked stacks: what a self-managed (file) backend always calls it. */
export const ORGANIZATION = "organization";

/** Canned outputs for resources whose real providers compute them. */
function computedState(args: pulumi.runtime.MockResourceArgs): Record<string, any> {
    switch (args.type) {
        case "random:index/randomPassword:RandomPassword":
            // Deterministic, long and alphanumeric, like the real provider's `special: false` output.
            return { result: `mockpw${Buffer.from(args.name).toString("hex")}`.slice(0, args.inputs.length ?? 32) };
        case "eks:index:Cluster":
            return {
                kubeconfigJson: JSON.stringify({ apiVersion: "v1", kind: "Config", clusters: [{ name: args.name }] }),
                eksCluster: { name: `${args.name}-eks`, version: args.inputs.version ?? "1.33" },
                core: { oidcProvider: { arn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.mock", url: "oidc.eks.mock" } },
            };
        case "aws:iam/role:Role":
            return { arn: `arn:aws:iam::123456789012:role/${args.name}`, name: args.name };
        default:
            return {};
    }
}

/**
 * Records every resource registration and answers with its inputs plus canned computed
 * outputs. Unknown invokes fail, so a test never runs on invented data.
 */
export class RecordingMocks implements pulumi.runtime.Mocks {
    readonly resources: RecordedResource[] = [];
    /**
     * What exists before the program runs, for its reads (`Resource.get`, a StackReference),
     * by `<type>::<id>`. A read of anything else fails as the real engine's would, except a
     * StackReference, which finds a stack never deployed (no outputs).
     */
    readonly existing = new Map<string, Record<string, any>>();
    private readonly calls: Record<string, (inputs: any) => Record<string, any>>;

    constructor(calls: Record<string, (inputs: any) => Record<string, any>> = {}) {
        this.calls = calls;
    }

    reset(): void {
        this.resources.length = 0;
        this.existing.clear();
    }

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, any> } {
        if (args.id) {
            return this.read(args);
        }
        const secretPaths: string[] = [];
        const inputs = unwrapSecrets(args.inputs, "", secretPaths);
        this.resources.push({
            type: args.type,
            name: args.name,
            inputs,
            secretPaths,
            provider: args.provider,
            custom: args.custom ?? true,
            read: false,
        });
        return { id: `${args.name}-id`, state: { ...args.inputs, ...computedState(args) } };
    }

    private read(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
        const id = args.id as string;
        this.resources.push({ type: args.type, name: args.name, inputs: args.inputs, secretPaths: [], provider: args.provider, custom: true, read: true });
        const state = this.existing.get(`${args.type}::${id}`);
        if (state) {
            return { id, state };
        }
        if (args.type === STACK_REFERENCE) {
            return { id, state: { name: id, outputs: {}, secretOutputNames: [] } };
        }
        throw new Error(`${args.type} "${id}" does not exist (mocks.existing has no such object)`);
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        const handler = this.calls[args.token];
        if (!handler) {
            throw new Error(`Mock not implemented: ${args.token}`);
        }
        return handler(args.inputs);
    }

    /** Every recorded resource of `type`. */
    ofType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** The one resource of `type` named `name`; fails the test when absent. */
    find(type: string, name: string): RecordedResource {
        const found = this.resources.find((r) => r.type === type && r.name === name);
        if (!found) {
            const seen = this.resources.map((r) => `${r.type} ${r.name}`).join(", ");
            throw new Error(`no ${type} named ${name} was registered; registered: ${seen}`);
        }
        return found;
    }

    /** Waits until no registration has arrived for several turns of the event loop. */
    async settle(): Promise<void> {
        let quietTurns = 0;
        let seen = this.resources.length;
        while (quietTurns < 10) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            if (this.resources.length === seen) {
                quietTurns++;
            } else {
                seen = this.resources.length;
                quietTurns = 0;
            }
        }
    }
}

/** Resolves an Output's value (and whether it is secret) under mocks. */
export async function resolveOutput<T>(output: pulumi.Input<T>): Promise<{ value: T; secret: boolean }> {
    const o = pulumi.output(output);
    const [value, secret] = await Promise.all([
        new Promise<T>((resolve) => o.apply((v) => resolve(v as T))),
        (o as any).isSecret as Promise<boolean>,
    ]);
    return { value, secret };
}

/** Canned answers for the invokes the program makes. */
export const PROGRAM_CALLS: Record<string, (inputs: any) => Record<string, any>> = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({
        names: ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"],
        zoneIds: ["usw2-az1", "usw2-az2", "usw2-az3", "usw2-az4"],
    }),
};

/** The one recorder every test file shares (Pulumi's mocks are process-wide). */
export const mocks = new RecordingMocks(PROGRAM_CALLS);

/** Installs the shared recorder as Pulumi's mock engine; call in each suite's `before`. */
export async function useMocks(stack = "unit"): Promise<RecordingMocks> {
    await pulumi.runtime.setMocks(mocks, "replicated-mysql", stack, false, ORGANIZATION);
    mocks.reset();
    return mocks;
}
