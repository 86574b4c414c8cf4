import {
    Policies, Policy, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy, unknownCheckingProxy,
} from "@pulumi/policy";

/** The engine's sentinel for a string it cannot know during preview (what `pulumi preview` sends). */
export const unknownString = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The same for an object or a list. */
export const unknownObject = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff";
export const unknownArray = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2";

export const statefulSetType = "kubernetes:apps/v1:StatefulSet";
export const storageClassType = "kubernetes:storage.k8s.io/v1:StorageClass";
export const podDisruptionBudgetType = "kubernetes:policy/v1:PodDisruptionBudget";

const opts: ResourceValidationArgs["opts"] = { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] };

function urnOf(type: string, name: string): string {
    return `urn:pulumi:test::replicated-mysql::${type}::${name}`;
}

/**
 * Runs one resource policy the way the policy SDK's server does: the props behind the engine's
 * unknown-checking proxy, config from getConfig. Returns the violation messages.
 */
export async function validateResource(policy: Policy, type: string, props: object, config: Record<string, unknown> = {}, name = "mysql"): Promise<string[]> {
    const resourcePolicy = policy as ResourceValidationPolicy;
    if (typeof resourcePolicy.validateResource !== "function") {
        throw new Error(`${policy.name} is not a single-function resource policy`);
    }
    const messages: string[] = [];
    const args: ResourceValidationArgs = {
        type,
        props: unknownCheckingProxy(props),
        urn: urnOf(type, name),
        name,
        opts,
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string) => { throw new Error(`not applicable: ${reason}`); },
    };
    await resourcePolicy.validateResource(args, message => {
        messages.push(message);
    });
    return messages;
}

export interface Violation {
    message: string;
    urn?: string;
}

/** Runs one stack policy over resources given as {type, name, props}. */
export async function validateStack(policy: Policy, resources: { type: string; name: string; props: object }[],
    config: Record<string, unknown> = {}): Promise<Violation[]> {
    const stackPolicy = policy as StackValidationPolicy;
    const violations: Violation[] = [];
    const args: StackValidationArgs = {
        resources: resources.map(resource => ({
            type: resource.type,
            name: resource.name,
            urn: urnOf(resource.type, resource.name),
            props: unknownCheckingProxy(resource.props),
            opts,
            dependencies: [],
            propertyDependencies: {},
            isType: () => false,
            asType: () => undefined,
        })),
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string) => { throw new Error(`not applicable: ${reason}`); },
    };
    await stackPolicy.validateStack(args, (message, urn) => {
        violations.push({ message, urn });
    });
    return violations;
}

export function urnFor(type: string, name: string): string {
    return urnOf(type, name);
}

export interface PackViolation {
    policy: string;
    level: string;
    resource: string;
    message: string;
}

/** A `--policy-pack-config` file: per policy, an enforcement level or an object of settings. */
export type PackConfig = Record<string, string | Record<string, unknown>>;

/**
 * Runs every policy of a pack over a stack's resources as the engine would: each resource policy
 * on each resource, each stack policy once over all of them, at the levels the pack config sets
 * (else the policies' own), skipping disabled ones.
 */
export async function validatePack(policies: Policies, resources: { type: string; name: string; props: object }[],
    packConfig: PackConfig = {}): Promise<PackViolation[]> {
    const violations: PackViolation[] = [];
    for (const policy of policies) {
        const entry = packConfig[policy.name] ?? {};
        const { enforcementLevel, ...config } = typeof entry === "string" ? { enforcementLevel: entry } : entry;
        const level = String(enforcementLevel ?? policy.enforcementLevel ?? "advisory");
        if (level === "disabled") {
            continue;
        }
        if ("validateStack" in policy) {
            for (const { message, urn } of await validateStack(policy, resources, config)) {
                violations.push({ policy: policy.name, level, resource: urn?.split("::").pop() ?? "", message });
            }
            continue;
        }
        for (const resource of resources) {
            for (const message of await validateResource(policy, resource.type, resource.props, config, resource.name)) {
                violations.push({ policy: policy.name, level, resource: resource.name, message });
            }
        }
    }
    return violations;
}
