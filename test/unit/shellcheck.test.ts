/** Every shell script (the pod scripts, scripts/, the e2e scripts) passes shellcheck with no finding. */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");
const SCRIPTS = path.join(ROOT, "components/mysql/scripts");
const shellScripts = (dir: string) =>
    fs
        .readdirSync(path.join(ROOT, dir))
        .filter((f) => f.endsWith(".sh"))
        .map((f) => path.join(ROOT, dir, f));
const FILES = [...shellScripts("components/mysql/scripts"), ...shellScripts("scripts"), ...shellScripts("test/e2e")];

describe("shellcheck", function () {
    before(function () {
        const found = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
        if (found.error || found.status !== 0) {
            throw new Error("shellcheck is not installed: install it with `sudo bash scripts/setup-dataplane.sh` (Debian package shellcheck)");
        }
    });

    it("finds the pod scripts and the scripts of scripts/ and test/e2e/", function () {
        for (const script of ["lib.sh", "engine-mysql.sh", "engine-mariadb.sh", "init-config.sh", "clone-from-peer.sh", "run-mysqld.sh", "serve-backups.sh", "probe.sh"]) {
            assert.ok(FILES.includes(path.join(SCRIPTS, script)), `${script} is missing`);
        }
        for (const script of ["scripts/local-cluster.sh", "scripts/setup-dataplane.sh", "scripts/setup-node.sh", "scripts/toolchain.sh", "test/e2e/node.sh"]) {
            assert.ok(FILES.includes(path.join(ROOT, script)), `${script} is missing`);
        }
    });

    for (const file of FILES) {
        it(`${path.relative(ROOT, file)} has no finding`, function () {
            // -x with the script's own directory: the scripts source lib.sh beside them.
            const r = spawnSync("shellcheck", ["--external-sources", "--source-path=SCRIPTDIR", "--severity=style", file], { encoding: "utf8" });
            assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        });
    }
});
