import { Unknown, UNKNOWN, asArray, asObject, asString, snapshotContainsUnknown } from "./values";

/**
 * Whether a label selector (matchLabels + matchExpressions) selects pods with these labels; UNKNOWN
 * when preview hides part of the selector. A missing selector selects nothing; an empty one
 * selects everything (policy/v1 PodDisruptionBudget semantics).
 */
export function selects(selector: unknown, labels: Record<string, string>): boolean | Unknown {
    if (snapshotContainsUnknown(selector)) {
        return UNKNOWN;
    }
    const object = asObject(selector);
    if (!object) {
        return false;
    }
    const matchLabels = asObject(object.matchLabels) ?? {};
    for (const [key, value] of Object.entries(matchLabels)) {
        if (labels[key] !== value) {
            return false;
        }
    }
    for (const item of asArray(object.matchExpressions) ?? []) {
        const expression = asObject(item);
        const key = asString(expression?.key);
        if (!expression || key === undefined) {
            return false;
        }
        const values = (asArray(expression.values) ?? []).filter((v): v is string => typeof v === "string");
        const has = Object.prototype.hasOwnProperty.call(labels, key);
        switch (expression.operator) {
            case "In":
                if (!has || !values.includes(labels[key])) {
                    return false;
                }
                break;
            case "NotIn":
                if (has && values.includes(labels[key])) {
                    return false;
                }
                break;
            case "Exists":
                if (!has) {
                    return false;
                }
                break;
            case "DoesNotExist":
                if (has) {
                    return false;
                }
                break;
            default:
                return false;
        }
    }
    return true;
}
