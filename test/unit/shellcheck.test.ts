/** Every pod script (and the data-plane setup script) passes shellcheck with no finding. */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");
const SCRIPTS = path.join(ROOT, "components/mysql/scripts");
const FILES = [
    ...fs.readdirSync(SCRIPTS).filter((f) => f.endsWith(".sh")).map((f) => path.join(SCRIPTS, f)),
    path.join(ROOT, "scripts/setup-dataplane.sh"),
];

describe("shellcheck", function () {
    before(function () {
        const found = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
        if (found.error || found.status !== 0) {
            throw new Error("shellcheck is not installed: install it with `sudo bash scripts/setup-dataplane.sh` (Debian package shellcheck)");
        }
    });

    it("finds the pod scripts", function () {
        for (const script of ["lib.sh", "engine-mysql.sh", "engine-mariadb.sh", "init-config.sh", "clone-from-peer.sh", "run-mysqld.sh", "serve-backups.sh", "probe.sh"]) {
            assert.ok(FILES.includes(path.join(SCRIPTS, script)), `${script} is missing`);
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
