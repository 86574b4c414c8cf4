import { PolicyConfigSchema } from "@pulumi/policy";
import { parseQuantity, quantityPattern } from "./quantity";

interface IntegerField {
    kind: "integer";
    description: string;
    default: number;
    minimum: number;
    maximum: number;
}

interface BooleanField {
    kind: "boolean";
    description: string;
    default: boolean;
}

interface StringListField {
    kind: "stringList";
    description: string;
    default: readonly string[];
}

interface QuantityField {
    kind: "quantity";
    description: string;
    default: string;
}

interface AbsolutePathField {
    kind: "absolutePath";
    description: string;
    default: string;
}

interface PatternField {
    kind: "pattern";
    description: string;
    default: string;
}

export type ConfigField = IntegerField | BooleanField | StringListField | QuantityField | AbsolutePathField | PatternField;
export type ConfigFields = Record<string, ConfigField>;

export interface Quantity {
    /** As written, for messages. */
    text: string;
    /** In base units (bytes for storage). */
    value: number;
}

type FieldValue<F extends ConfigField> =
    F extends IntegerField ? number :
    F extends BooleanField ? boolean :
    F extends StringListField ? string[] :
    F extends QuantityField ? Quantity :
    F extends AbsolutePathField ? string :
    F extends PatternField ? RegExp :
    never;

export type ConfigValues<F extends ConfigFields> = { [K in keyof F]: FieldValue<F[K]> };

export const integer = (description: string, defaultValue: number, minimum: number, maximum: number): IntegerField =>
    ({ kind: "integer", description, default: defaultValue, minimum, maximum });
export const boolean = (description: string, defaultValue: boolean): BooleanField =>
    ({ kind: "boolean", description, default: defaultValue });
export const stringList = (description: string, defaultValue: readonly string[]): StringListField =>
    ({ kind: "stringList", description, default: defaultValue });
export const quantity = (description: string, defaultValue: string): QuantityField =>
    ({ kind: "quantity", description, default: defaultValue });
export const absolutePath = (description: string, defaultValue: string): AbsolutePathField =>
    ({ kind: "absolutePath", description, default: defaultValue });
export const pattern = (description: string, defaultValue: string): PatternField =>
    ({ kind: "pattern", description, default: defaultValue });

/**
 * A policy's typed configuration: one declaration yields the JSON schema the engine shows and
 * validates `--policy-pack-config` against, and a reader that applies the defaults and rejects
 * what the engine's schema check lets through (unknown keys, wrong types, bad regexes, min > max),
 * so a typo in a config file fails loudly instead of silently checking with a default.
 */
export class PolicyConfig<F extends ConfigFields> {
    constructor(
        private readonly policyName: string,
        private readonly fields: F,
        private readonly crossCheck?: (values: ConfigValues<F>) => string | undefined,
    ) {}

    get schema(): PolicyConfigSchema {
        const properties: PolicyConfigSchema["properties"] = {};
        for (const [key, field] of Object.entries(this.fields)) {
            switch (field.kind) {
                case "integer":
                    properties[key] = {
                        type: "integer", description: field.description, default: field.default,
                        minimum: field.minimum, maximum: field.maximum,
                    };
                    break;
                case "boolean":
                    properties[key] = { type: "boolean", description: field.description, default: field.default };
                    break;
                case "stringList":
                    properties[key] = {
                        type: "array", description: field.description, default: [...field.default],
                        items: { type: "string" }, uniqueItems: true,
                    };
                    break;
                case "quantity":
                    properties[key] = {
                        type: "string", description: field.description, default: field.default, pattern: quantityPattern,
                    };
                    break;
                case "absolutePath":
                    properties[key] = { type: "string", description: field.description, default: field.default, pattern: "^/" };
                    break;
                case "pattern":
                    properties[key] = { type: "string", description: field.description, default: field.default, minLength: 1 };
                    break;
            }
        }
        return { properties };
    }

    /** Reads the config the engine sent for this policy; throws one error listing every problem. */
    read(raw: Record<string, unknown>): ConfigValues<F> {
        const errors: string[] = [];
        const known = Object.keys(this.fields);
        for (const key of Object.keys(raw)) {
            if (!known.includes(key)) {
                errors.push(`unknown key "${key}" (known keys: ${known.length ? known.join(", ") : "none"})`);
            }
        }
        const values: Record<string, unknown> = {};
        for (const [key, field] of Object.entries(this.fields)) {
            const given = raw[key];
            const result = given === undefined ? readField(field, field.default) : readField(field, given);
            if (typeof result === "string") {
                errors.push(`${key} ${result}, got ${JSON.stringify(given)}`);
            } else {
                values[key] = result.value;
            }
        }
        if (errors.length === 0 && this.crossCheck) {
            const problem = this.crossCheck(values as ConfigValues<F>);
            if (problem) {
                errors.push(problem);
            }
        }
        if (errors.length > 0) {
            throw new Error(`Invalid config for policy "${this.policyName}": ${errors.join("; ")}.`);
        }
        return values as ConfigValues<F>;
    }
}

/** Returns the parsed value, or a string saying what the value must be. */
function readField(field: ConfigField, given: unknown): { value: unknown } | string {
    switch (field.kind) {
        case "integer":
            if (typeof given !== "number" || !Number.isInteger(given) || given < field.minimum || given > field.maximum) {
                return `must be an integer from ${field.minimum} to ${field.maximum}`;
            }
            return { value: given };
        case "boolean":
            return typeof given === "boolean" ? { value: given } : "must be true or false";
        case "stringList":
            if (!Array.isArray(given) || !given.every(item => typeof item === "string")) {
                return "must be a list of strings";
            }
            return { value: [...given] };
        case "quantity": {
            const value = typeof given === "string" ? parseQuantity(given) : undefined;
            if (value === undefined || typeof given !== "string") {
                return `must be a Kubernetes quantity such as "10Gi"`;
            }
            return { value: { text: given, value } };
        }
        case "absolutePath":
            if (typeof given !== "string" || !given.startsWith("/")) {
                return "must be an absolute path";
            }
            return { value: normalizePath(given) };
        case "pattern":
            if (typeof given !== "string" || given === "") {
                return "must be a non-empty regular expression";
            }
            try {
                return { value: new RegExp(given, "i") };
            } catch {
                return "must be a valid regular expression";
            }
    }
}

/** "/var/lib/mysql/" and "/var/lib/mysql" are the same mount point. */
export function normalizePath(path: string): string {
    return path.length > 1 ? path.replace(/\/+$/, "") : path;
}
