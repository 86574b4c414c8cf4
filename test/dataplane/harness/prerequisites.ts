/** What a data-plane run needs from the machine; it installs nothing (scripts/setup-dataplane.sh does). */
import { execFileSync } from "child_process";
import { MYSQL_UID } from "../../../components/mysql/manifests";
import { EngineHarness } from "./engines";

const HARNESS_PROGRAMS = ["ip", "nsenter", "unshare", "setpriv", "mount", "bash"];

/**
 * Throws one message naming everything that is missing, or returns the OS user the pods run
 * as: the pod spec's uid 999 in a root filesystem of our own, the host's `mysql` user when
 * the host's packages are the image.
 */
export function checkPrerequisites(engine: EngineHarness): { uid: number; gid: number } {
    const problems: string[] = [];
    if (process.platform !== "linux") problems.push(`Linux is required (this is ${process.platform})`);
    if (typeof process.getuid === "function" && process.getuid() !== 0) {
        problems.push("root is required (network and mount namespaces)");
    }
    const missing = [...HARNESS_PROGRAMS, ...engine.hostPrograms].filter((bin) => {
        try {
            execFileSync("bash", ["-c", `command -v ${bin}`], { stdio: "ignore" });
            return false;
        } catch {
            return true;
        }
    });
    if (missing.length > 0) problems.push(`missing programs: ${missing.join(", ")}`);
    let ids = { uid: MYSQL_UID, gid: MYSQL_UID };
    if (engine.engine === "mariadb") {
        try {
            ids = {
                uid: Number(execFileSync("id", ["-u", "mysql"]).toString().trim()),
                gid: Number(execFileSync("id", ["-g", "mysql"]).toString().trim()),
            };
        } catch {
            problems.push("no 'mysql' OS user (the mariadb-server package creates it)");
        }
    }
    if (problems.length > 0) {
        throw new Error(
            `data-plane tests (${engine.engine}) cannot run: ${problems.join("; ")}. ` +
                "Install what they need with: sudo bash scripts/setup-dataplane.sh",
        );
    }
    return ids;
}
