import { UnknownValueError } from "@pulumi/policy";

/**
 * Stands for a value the engine cannot know yet (during `pulumi preview`, anything computed from
 * another resource's outputs). Checks skip what is unknown and still report what is provably wrong.
 */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");
export type Unknown = typeof UNKNOWN;

export type PlainObject = Record<string, unknown>;

/**
 * Copies resource properties into plain data. The engine hands policies a proxy that throws on
 * every unknown value, which would abort the whole policy at the first one; copying once turns
 * each unknown into `UNKNOWN` so the other fields are still checked.
 */
export function snapshot(value: unknown): unknown {
    if (Array.isArray(value)) {
        const copy: unknown[] = [];
        for (let i = 0; i < value.length; i++) {
            copy.push(snapshot(readField(value, i)));
        }
        return copy;
    }
    if (isPlainObject(value)) {
        const copy: PlainObject = {};
        for (const key of Object.keys(value)) {
            copy[key] = snapshot(readField(value, key));
        }
        return copy;
    }
    return value;
}

function readField(container: unknown, key: string | number): unknown {
    try {
        return (container as Record<string | number, unknown>)[key];
    } catch (e) {
        if (e instanceof UnknownValueError) {
            return UNKNOWN;
        }
        throw e;
    }
}

function isPlainObject(value: unknown): value is PlainObject {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isUnknown(value: unknown): value is Unknown {
    return value === UNKNOWN;
}

export function asObject(value: unknown): PlainObject | undefined {
    return isPlainObject(value) ? value : undefined;
}

export function asArray(value: unknown): unknown[] | undefined {
    return Array.isArray(value) ? value : undefined;
}

export function asString(value: unknown): string | undefined {
    return typeof value === "string" ? value : undefined;
}

export function asNumber(value: unknown): number | undefined {
    return typeof value === "number" ? value : undefined;
}

/** Renders a value for a message: strings quoted, numbers and booleans as is, lists in brackets. */
export function show(value: unknown): string {
    if (typeof value === "string") {
        return JSON.stringify(value);
    }
    if (Array.isArray(value)) {
        return `[${value.map(show).join(", ")}]`;
    }
    return String(value);
}

/** Follows a path into plain data: UNKNOWN as soon as a step is unknown, undefined when a step is missing. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
    let current = value;
    for (const key of path) {
        if (isUnknown(current)) {
            return UNKNOWN;
        }
        current = typeof key === "number" ? asArray(current)?.[key] : asObject(current)?.[key];
    }
    return current;
}

/** True when some value inside plain data is unknown during preview. */
export function snapshotContainsUnknown(value: unknown): boolean {
    if (isUnknown(value)) {
        return true;
    }
    if (Array.isArray(value)) {
        return value.some(snapshotContainsUnknown);
    }
    const object = asObject(value);
    return object !== undefined && Object.values(object).some(snapshotContainsUnknown);
}
