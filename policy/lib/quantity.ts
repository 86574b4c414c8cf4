const binarySuffixes: Record<string, number> = {
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
const decimalSuffixes: Record<string, number> = {
    m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

/** The grammar of a Kubernetes resource quantity (resource.Quantity), as a JSON-schema pattern. */
export const quantityPattern = "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$";
const quantityRegExp = new RegExp(quantityPattern);

/**
 * Parses a Kubernetes quantity ("10Gi", "500M", "1e9", "1.5Gi") into its value in base units
 * (bytes for storage). Returns undefined for text Kubernetes would reject.
 */
export function parseQuantity(text: string): number | undefined {
    if (!quantityRegExp.test(text)) {
        return undefined;
    }
    const match = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)$/.exec(text);
    if (!match) {
        return undefined;
    }
    const [, number, suffix] = match;
    const base = Number(number);
    if (suffix === "") {
        return base;
    }
    if (suffix in binarySuffixes) {
        return base * binarySuffixes[suffix];
    }
    if (suffix in decimalSuffixes) {
        return base * decimalSuffixes[suffix];
    }
    return base * 10 ** Number(suffix.slice(1));
}
