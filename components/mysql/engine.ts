/**
 * The one place where the two supported database engines differ on the Kubernetes side.
 * (Their SQL and tool differences live in scripts/engine-<engine>.sh, their server
 * settings in conf/<engine>/.) Everything else in the component is shared.
 */

/** The database engines the component can run. */
export const ENGINES = ["mysql", "mariadb"] as const;

/** A supported database engine. */
export type Engine = (typeof ENGINES)[number];

/** What the StatefulSet needs to know about an engine. */
export interface EngineProfile {
    /** Human-readable name and series, for messages and docs. */
    displayName: string;
    /** Default image of the server container (and of the `init-config` init container). */
    serverImage: string;
    /**
     * Default image of the backup tooling (`clone-from-peer` init container and the
     * `clone-server` sidecar). It must provide bash, the engine's client, its backup and
     * stream tools, and socat or ncat; the scripts name any that are missing.
     */
    backupImage: string;
}

/** Engine profiles, keyed by engine. */
export const ENGINE_PROFILES: Readonly<Record<Engine, EngineProfile>> = {
    mysql: {
        displayName: "MySQL 8.4 LTS",
        serverImage: "mysql:8.4",
        backupImage: "percona/percona-xtrabackup:8.4",
    },
    mariadb: {
        displayName: "MariaDB 10.11 LTS",
        serverImage: "mariadb:10.11",
        // The MariaDB image ships mariabackup and mbstream beside the server.
        backupImage: "mariadb:10.11",
    },
};

/** True when `value` names a supported engine. */
export function isEngine(value: unknown): value is Engine {
    return typeof value === "string" && (ENGINES as readonly string[]).includes(value);
}
