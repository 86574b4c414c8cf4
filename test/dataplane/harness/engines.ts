/**
 * What the data-plane harness needs to know per engine: which root filesystem the pod's
 * containers run in, the client program, and the SQL that waits for a replica to catch up.
 * Everything about the pods themselves comes from the component (pod-spec.ts). The image's
 * own configuration files stay as the packages ship them (Debian's set bind-address =
 * 127.0.0.1 and log files under the read-only root): the scripts start every server with
 * --defaults-file, and the suite proves that nothing the image carries overrides it.
 *
 * - mysql: MySQL 9.7 from Debian unstable, in the root filesystem that
 *   scripts/engine-rootfs.sh builds (cached by package versions); every container and the
 *   test client run chrooted into it, so a tool the scripts call and the tree lacks fails.
 * - mariadb: MariaDB 10.11 from the host's Debian 12 packages (the host's root, read-only).
 */
import { execFileSync } from "child_process";
import * as path from "path";
import { ENGINES, Engine } from "../../../components/mysql/engine";

export interface EngineHarness {
    engine: Engine;
    /** Root filesystem of every container of a pod and of the client: "" for the host's own. */
    rootfs(): string;
    /** The command-line client, run inside rootfs(). */
    client: string;
    /** Programs the host itself must have for this engine (beyond the harness's own). */
    hostPrograms: string[];
    /** SQL giving the primary's executed GTID state, as one value. */
    primaryPositionSql: string;
    /** SQL that waits up to `seconds` for `position` and returns 0 when reached. */
    waitForPositionSql(position: string, seconds: number): string;
}

const REPO = path.join(__dirname, "..", "..", "..");
let mysqlRootfs: string | undefined;

export const ENGINE_HARNESS: Readonly<Record<Engine, EngineHarness>> = {
    mysql: {
        engine: "mysql",
        rootfs() {
            // What scripts/setup-dataplane.sh built; the script prints the tree's path.
            mysqlRootfs ??= execFileSync("bash", [path.join(REPO, "scripts", "engine-rootfs.sh"), "mysql", "--cached"], {
                stdio: ["ignore", "pipe", "inherit"],
            }).toString().trim();
            return mysqlRootfs;
        },
        client: "mysql",
        hostPrograms: ["chroot"],
        primaryPositionSql: "SELECT @@GLOBAL.gtid_executed",
        waitForPositionSql: (position, seconds) => `SELECT WAIT_FOR_EXECUTED_GTID_SET('${position}', ${seconds})`,
    },
    mariadb: {
        engine: "mariadb",
        rootfs: () => "",
        client: "mariadb",
        hostPrograms: ["mariadbd", "mariadb", "mariadb-admin", "mariadb-install-db", "mariabackup", "mbstream", "ncat", "socat"],
        primaryPositionSql: "SELECT @@gtid_binlog_pos",
        waitForPositionSql: (position, seconds) => `SELECT MASTER_GTID_WAIT('${position}', ${seconds})`,
    },
};

/**
 * The engines a data-plane run covers: both by default, or those named in
 * DATAPLANE_ENGINES (comma-separated), e.g. DATAPLANE_ENGINES=mariadb.
 */
export function enginesUnderTest(): Engine[] {
    const wanted = (process.env.DATAPLANE_ENGINES ?? ENGINES.join(",")).split(",").map((e) => e.trim()).filter((e) => e !== "");
    const unknown = wanted.filter((e) => !(ENGINES as readonly string[]).includes(e));
    if (unknown.length > 0 || wanted.length === 0) {
        throw new Error(`DATAPLANE_ENGINES must name engines among ${ENGINES.join(", ")} (got "${process.env.DATAPLANE_ENGINES}")`);
    }
    return wanted as Engine[];
}
