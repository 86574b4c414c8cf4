import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Engine } from "./engine";

/** Directory of the pod scripts, shipped unchanged in the ConfigMap. */
export const SCRIPTS_DIR = path.join(__dirname, "scripts");
/** Directory of the per-engine server configuration files. */
export const CONF_DIR = path.join(__dirname, "conf");
/** Where the ConfigMap is mounted in every container. */
export const CONFIG_MAP_MOUNT = "/mnt/config-map";

function readFlat(dir: string, suffix: string): Record<string, string> {
    const files: Record<string, string> = {};
    for (const file of fs.readdirSync(dir).sort()) {
        if (file.endsWith(suffix)) {
            files[file] = fs.readFileSync(path.join(dir, file), "utf8");
        }
    }
    return files;
}

/**
 * The ConfigMap's data: every shared pod script (`*.sh`), the engine's own
 * `engine-<engine>.sh`, and the engine's server configs
 * (`common.cnf`, `primary.cnf`, `replica.cnf`), keyed by file name. The data-plane
 * tests build their /mnt/config-map from this same function.
 */
export function configMapData(engine: Engine): Record<string, string> {
    // Ship only the selected engine's SQL, so a MySQL pod holds no MariaDB-only syntax.
    const scripts = Object.fromEntries(
        Object.entries(readFlat(SCRIPTS_DIR, ".sh")).filter(
            ([file]) => !file.startsWith("engine-") || file === `engine-${engine}.sh`,
        ),
    );
    const conf = readFlat(path.join(CONF_DIR, engine), ".cnf");
    for (const key of Object.keys(conf)) {
        if (key in scripts) {
            throw new Error(`configMapData: ${key} exists both as a script and as an ${engine} config file`);
        }
    }
    return { ...scripts, ...conf };
}

/** A short digest of the ConfigMap data; a change to it rolls the pods. */
export function configDigest(data: Record<string, string>): string {
    const hash = crypto.createHash("sha256");
    for (const key of Object.keys(data).sort()) {
        hash.update(key).update("\0").update(data[key]).update("\0");
    }
    return hash.digest("hex").slice(0, 16);
}
