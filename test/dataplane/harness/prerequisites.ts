/** What a data-plane run needs from the machine; it installs nothing (scripts/setup-dataplane.sh does). */
import { execFileSync } from "child_process";

export const REQUIRED_BINARIES = [
    "mariadbd", "mariadb", "mariadb-admin", "mariadb-install-db", "mariabackup", "mbstream",
    "ncat", "ip", "nsenter", "unshare", "setpriv", "mount", "bash",
];

/** Throws one message naming everything that is missing, or returns the OS user the servers run as. */
export function checkPrerequisites(): { uid: number; gid: number } {
    const problems: string[] = [];
    if (process.platform !== "linux") problems.push(`Linux is required (this is ${process.platform})`);
    if (typeof process.getuid === "function" && process.getuid() !== 0) {
        problems.push("root is required (network and mount namespaces)");
    }
    const missing = REQUIRED_BINARIES.filter((bin) => {
        try {
            execFileSync("bash", ["-c", `command -v ${bin}`], { stdio: "ignore" });
            return false;
        } catch {
            return true;
        }
    });
    if (missing.length > 0) problems.push(`missing programs: ${missing.join(", ")}`);
    let ids = { uid: -1, gid: -1 };
    try {
        ids = {
            uid: Number(execFileSync("id", ["-u", "mysql"]).toString().trim()),
            gid: Number(execFileSync("id", ["-g", "mysql"]).toString().trim()),
        };
    } catch {
        problems.push("no 'mysql' OS user (the mariadb-server package creates it)");
    }
    if (problems.length > 0) {
        throw new Error(
            `data-plane tests cannot run: ${problems.join("; ")}. ` +
                "Install what they need with: sudo bash scripts/setup-dataplane.sh",
        );
    }
    return ids;
}
