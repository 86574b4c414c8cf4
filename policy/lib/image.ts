export interface ImageReference {
    /** The repository path without the registry host, e.g. "library/mysql" or "percona/percona-xtrabackup". */
    repository: string;
    tag?: string;
    digest?: string;
}

/** Splits an image reference the way container runtimes read it: [registry/]path[:tag][@digest]. */
export function parseImage(image: string): ImageReference {
    const at = image.indexOf("@");
    const digest = at >= 0 ? image.slice(at + 1) : undefined;
    const name = at >= 0 ? image.slice(0, at) : image;
    const lastSlash = name.lastIndexOf("/");
    const colon = name.lastIndexOf(":");
    // A colon before the last slash belongs to a registry port (localhost:5000/mysql), not a tag.
    const tag = colon > lastSlash ? name.slice(colon + 1) : undefined;
    const path = colon > lastSlash ? name.slice(0, colon) : name;
    const parts = path.split("/");
    const first = parts[0];
    const hasRegistry = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
    const repository = (hasRegistry ? parts.slice(1) : parts).join("/");
    return { repository, tag: tag === "" ? undefined : tag, digest: digest === "" ? undefined : digest };
}

const databaseServerImages = ["mysql", "mariadb", "percona-server", "percona-xtradb-cluster"];
const databaseImages = ["mysql", "mariadb", "percona"];

/** True for images whose repository names a MySQL-family server (the database container). */
export function isDatabaseServerImage(image: string): boolean {
    const repository = parseImage(image).repository.toLowerCase();
    return databaseServerImages.some(name => repository.includes(name));
}

/** True for images that make a StatefulSet a database one: MySQL-family servers and Percona tools. */
export function isDatabaseImage(image: string): boolean {
    const repository = parseImage(image).repository.toLowerCase();
    return databaseImages.some(name => repository.includes(name));
}
