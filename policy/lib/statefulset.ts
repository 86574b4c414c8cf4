import { isDatabaseImage, isDatabaseServerImage } from "./image";
import { PlainObject, Unknown, UNKNOWN, asArray, asObject, asString, at, isUnknown } from "./values";

export const statefulSetType = "kubernetes:apps/v1:StatefulSet";

/** The labels the replicated-mysql component puts on its StatefulSet and pods. */
export const componentLabels: Readonly<Record<string, string>> = {
    "app.kubernetes.io/component": "database",
    "app.kubernetes.io/part-of": "replicated-mysql",
};

export interface ContainerRef {
    container: PlainObject;
    /** Where it sits in the StatefulSet, e.g. "spec.template.spec.containers[0]". */
    path: string;
    /** For messages: `container "mysql"`. */
    label: string;
}

/** Name used in messages: metadata.name when known, else the Pulumi resource name. */
export function objectName(props: PlainObject, resourceName: string): string {
    return asString(asObject(props.metadata)?.name) ?? resourceName;
}

/** A StatefulSet's properties as plain data (see values.snapshot), read with preview unknowns in mind. */
export class StatefulSetView {
    readonly label: string;

    constructor(readonly props: PlainObject, resourceName: string) {
        this.label = `StatefulSet "${objectName(props, resourceName)}"`;
    }

    get podSpec(): PlainObject | undefined {
        return asObject(at(this.props, "spec", "template", "spec"));
    }

    /** The pod template's labels, or UNKNOWN when preview cannot tell them. */
    get podLabels(): Record<string, string> | Unknown {
        return stringMap(at(this.props, "spec", "template", "metadata", "labels"));
    }

    /** Containers of one list that are known during preview, with their paths. */
    containers(list: "containers" | "initContainers"): ContainerRef[] {
        const refs: ContainerRef[] = [];
        (asArray(this.podSpec?.[list]) ?? []).forEach((item, index) => {
            const container = asObject(item);
            if (container) {
                const name = asString(container.name);
                refs.push({
                    container,
                    path: `spec.template.spec.${list}[${index}]`,
                    label: name === undefined ? `${list}[${index}]` : `container "${name}"`,
                });
            }
        });
        return refs;
    }

    /** The volumeClaimTemplates with the path messages name them by, or UNKNOWN during preview. */
    claimTemplates(): { claim: unknown; path: string }[] | Unknown {
        const templates = at(this.props, "spec", "volumeClaimTemplates");
        if (isUnknown(templates)) {
            return UNKNOWN;
        }
        return (asArray(templates) ?? []).map((claim, index) => {
            const claimName = at(claim, "metadata", "name");
            const suffix = typeof claimName === "string" ? ` ("${claimName}")` : "";
            return { claim, path: `spec.volumeClaimTemplates[${index}]${suffix}` };
        });
    }

    allContainers(): ContainerRef[] {
        return [...this.containers("initContainers"), ...this.containers("containers")];
    }

    /**
     * The database container: the one named "mysql", else the first running a MySQL-family server
     * image. UNKNOWN when preview hides the containers or their names and images.
     */
    databaseContainer(): ContainerRef | Unknown | undefined {
        const list = at(this.props, "spec", "template", "spec", "containers");
        if (isUnknown(list)) {
            return UNKNOWN;
        }
        const containers = this.containers("containers");
        const named = containers.find(ref => ref.container.name === "mysql");
        if (named) {
            return named;
        }
        const byImage = containers.find(ref => {
            const image = asString(ref.container.image);
            return image !== undefined && isDatabaseServerImage(image);
        });
        if (byImage) {
            return byImage;
        }
        const undecided = (asArray(list) ?? []).some(item =>
            isUnknown(item) || isUnknown(asObject(item)?.name) || isUnknown(asObject(item)?.image));
        return undecided ? UNKNOWN : undefined;
    }

    /**
     * The database container for a policy that must see it: reports the StatefulSet when none
     * can be identified; undefined then, and while preview hides the containers.
     */
    requireDatabaseContainer(report: (message: string) => void): ContainerRef | undefined {
        const database = this.databaseContainer();
        if (isUnknown(database)) {
            return undefined;
        }
        if (!database) {
            report(this.noDatabaseContainerMessage);
        }
        return database;
    }

    /** The message for a database StatefulSet in which no container can be identified as the server. */
    get noDatabaseContainerMessage(): string {
        return `${this.label}: no container in spec.template.spec.containers is named "mysql" or runs a mysql/mariadb image, ` +
            `so the database container cannot be checked; name the database container "mysql".`;
    }
}

/**
 * A database StatefulSet carries the component's labels (on itself or its pods), or runs a
 * container whose image repository names mysql, mariadb or percona.
 */
export function isDatabaseStatefulSet(view: StatefulSetView): boolean {
    const own = stringMap(at(view.props, "metadata", "labels"));
    const pods = view.podLabels;
    const hasComponentLabels = (labels: Record<string, string> | Unknown) => !isUnknown(labels) &&
        Object.entries(componentLabels).every(([key, value]) => labels[key] === value);
    if (hasComponentLabels(own) || hasComponentLabels(pods)) {
        return true;
    }
    return view.containers("containers").some(ref => {
        const image = asString(ref.container.image);
        return image !== undefined && isDatabaseImage(image);
    });
}

function stringMap(value: unknown): Record<string, string> | Unknown {
    if (isUnknown(value)) {
        return UNKNOWN;
    }
    const object = asObject(value);
    const result: Record<string, string> = {};
    for (const [key, item] of Object.entries(object ?? {})) {
        if (isUnknown(item)) {
            return UNKNOWN;
        }
        if (typeof item === "string") {
            result[key] = item;
        }
    }
    return result;
}
