import {
    EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity,
    StackValidationArgs, StackValidationPolicy,
} from "@pulumi/policy";
import { ConfigFields, ConfigValues, PolicyConfig } from "./config";
import { StatefulSetView, isDatabaseStatefulSet, statefulSetType } from "./statefulset";
import { PlainObject, asObject, snapshot } from "./values";

interface PolicyBasics<F extends ConfigFields> {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    severity: Severity;
    /** Where to read why the rule exists. */
    url: string;
    remediationSteps: string;
    config: PolicyConfig<F>;
}

type Report = (message: string) => void;

function metadata<F extends ConfigFields>(basics: PolicyBasics<F>) {
    const { name, description, enforcementLevel, severity, url, remediationSteps, config } = basics;
    return { name, description, enforcementLevel, severity, url, remediationSteps, configSchema: config.schema };
}

/** A resource policy over the StatefulSets that run MySQL or MariaDB. */
export function databaseStatefulSetPolicy<F extends ConfigFields>(
    basics: PolicyBasics<F> & {
        validate(statefulSet: StatefulSetView, config: ConfigValues<F>, report: Report): void;
    },
): ResourceValidationPolicy {
    return {
        ...metadata(basics),
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            if (args.type !== statefulSetType) {
                return;
            }
            const config = basics.config.read(args.getConfig<Record<string, unknown>>());
            const view = new StatefulSetView(plainProps(args.props), args.name);
            if (isDatabaseStatefulSet(view)) {
                basics.validate(view, config, message => reportViolation(message));
            }
        },
    };
}

/** A resource policy over one Kubernetes resource type, given as the Pulumi type token. */
export function resourceTypePolicy<F extends ConfigFields>(
    basics: PolicyBasics<F> & {
        type: string;
        validate(props: PlainObject, resourceName: string, config: ConfigValues<F>, report: Report): void;
    },
): ResourceValidationPolicy {
    return {
        ...metadata(basics),
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            if (args.type !== basics.type) {
                return;
            }
            const config = basics.config.read(args.getConfig<Record<string, unknown>>());
            basics.validate(plainProps(args.props), args.name, config, message => reportViolation(message));
        },
    };
}

export interface StackResource {
    type: string;
    name: string;
    urn: string;
    props: PlainObject;
}

/** A stack policy: sees every resource of the stack at once, reports against one resource's URN. */
export function stackPolicy<F extends ConfigFields>(
    basics: PolicyBasics<F> & {
        validate(resources: StackResource[], config: ConfigValues<F>, report: (message: string, urn: string) => void): void;
    },
): StackValidationPolicy {
    return {
        ...metadata(basics),
        validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
            const config = basics.config.read(args.getConfig<Record<string, unknown>>());
            const resources = args.resources.map(resource => ({
                type: resource.type,
                name: resource.name,
                urn: resource.urn,
                props: plainProps(resource.props),
            }));
            basics.validate(resources, config, (message, urn) => reportViolation(message, urn));
        },
    };
}

function plainProps(props: unknown): PlainObject {
    return asObject(snapshot(props)) ?? {};
}
