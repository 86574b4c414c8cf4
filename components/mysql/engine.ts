/**
 * The one place where the two supported database engines differ on the Kubernetes side.
 * (Their SQL and tool differences live in scripts/engine-<engine>.sh, their server
 * settings in conf/<engine>/.) Everything else in the component is shared.
 */

/** The database engines the component can run. */
export const ENGINES = ["mysql", "mariadb"] as const;

/** A supported database engine. */
export type Engine = (typeof ENGINES)[number];

/**
 * How a new replica gets a copy of the previous pod's data.
 * - `clone-plugin`: MySQL's CLONE INSTANCE over the server port (3306, TLS), run by the
 *   `clone-from-peer` init container in the server image; no sidecar, no other port.
 * - `backup-stream`: the previous pod's `clone-server` sidecar streams a physical backup on
 *   {@link CLONE_STREAM_PORT}, which `clone-from-peer` receives and prepares.
 */
export type SeedingMethod = "clone-plugin" | "backup-stream";

/** Port the `clone-server` sidecar streams backups on (engines seeding by `backup-stream`). */
export const CLONE_STREAM_PORT = 3307;

/** What the StatefulSet needs to know about an engine. */
export interface EngineProfile {
    /** Human-readable name and series, for messages and docs. */
    displayName: string;
    /** Default image of every container, or of the server containers when a backup image exists. */
    serverImage: string;
    /** How replicas are seeded. */
    seeding: SeedingMethod;
    /**
     * Default image of the backup tooling (`clone-from-peer` init container and the
     * `clone-server` sidecar), for `backup-stream` engines only. It must provide bash, the
     * engine's client, its backup and stream tools, and socat or ncat; the scripts name any
     * that are missing.
     */
    backupImage?: string;
}

/** Engine profiles, keyed by engine. */
export const ENGINE_PROFILES: Readonly<Record<Engine, EngineProfile>> = {
    mysql: {
        // 9.7 is the official image's `lts` tag (docker-library/mysql's
        // generate-stackbrew-library.sh: 9.7 => "9 lts", 8.4 => "8"). The scripts use only
        // statements 8.4 has too, so `image: "mysql:8.4"` works the same.
        displayName: "MySQL 9.7 LTS",
        serverImage: "mysql:9.7",
        seeding: "clone-plugin",
    },
    mariadb: {
        displayName: "MariaDB 10.11 LTS",
        serverImage: "mariadb:10.11",
        seeding: "backup-stream",
        // The MariaDB image ships mariabackup, mbstream and socat beside the server.
        backupImage: "mariadb:10.11",
    },
};

/** True when `value` names a supported engine. */
export function isEngine(value: unknown): value is Engine {
    return typeof value === "string" && (ENGINES as readonly string[]).includes(value);
}
