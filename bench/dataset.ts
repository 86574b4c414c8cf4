/**
 * The clone benchmark's dataset on the primary: rows of ~1 KiB of random hex (4 bits of
 * entropy per byte, so about 2:1 compressible) spread over several InnoDB tables, so that a
 * backup has several data files to copy (what mariabackup --parallel works on). Loaded with
 * LOAD DATA LOCAL INFILE from one generated chunk file, reused with shifted ids (1 GiB of
 * table data in about 2 minutes on 2 cores, flushing included). The load is not
 * binary-logged (sql_log_bin = 0): replicas get the rows inside their clone, and the
 * primary's datadir is then the dataset plus the server's own files, with no binlog copy
 * of it.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Cluster } from "../test/dataplane/harness/cluster";
import { run } from "../test/dataplane/harness/process";

export const DATABASE = "benchdata";
export const TABLES = ["t0", "t1", "t2", "t3"];
const ROW_PAYLOAD_BYTES = 1000;

export class Dataset {
    private nextId = 1;
    private chunkFile: string;

    private constructor(private readonly cluster: Cluster, scratchDir: string, private readonly chunkRows: number) {
        this.chunkFile = path.join(scratchDir, "chunk.tsv");
    }

    /** `chunkRows` rows (of ~1 KiB) per LOAD DATA statement: the step by which the dataset grows. */
    static async create(cluster: Cluster, scratchDir: string, chunkRows: number): Promise<Dataset> {
        const dataset = new Dataset(cluster, scratchDir, chunkRows);
        const lines: string[] = [];
        for (let i = 0; i < chunkRows; i++) {
            lines.push(`${i}\t${crypto.randomBytes(ROW_PAYLOAD_BYTES / 2).toString("hex")}`);
        }
        fs.writeFileSync(dataset.chunkFile, lines.join("\n") + "\n");
        const ddl = [`CREATE DATABASE IF NOT EXISTS ${DATABASE};`];
        for (const t of TABLES) {
            ddl.push(`CREATE TABLE IF NOT EXISTS ${DATABASE}.${t} (id BIGINT NOT NULL PRIMARY KEY, payload VARCHAR(${ROW_PAYLOAD_BYTES}) NOT NULL) ENGINE=InnoDB;`);
        }
        await cluster.sql(0, ddl.join("\n"));
        return dataset;
    }

    /** Bytes of the dataset's table files in pod 0's datadir. */
    tableBytes(): number {
        const dir = path.join(this.cluster.dataDir(0), DATABASE);
        return TABLES.map((t) => fs.statSync(path.join(dir, `${t}.ibd`)).size).reduce((a, b) => a + b, 0);
    }

    get rows(): number {
        return this.nextId - 1;
    }

    /** Loads chunks round-robin into the tables until their files hold at least `bytes`. */
    async growTo(bytes: number): Promise<void> {
        let table = 0;
        while (this.tableBytes() < bytes) {
            const offset = this.nextId;
            const load =
                `SET SESSION sql_log_bin = 0;\n` +
                `LOAD DATA LOCAL INFILE '${this.chunkFile}' INTO TABLE ${DATABASE}.${TABLES[table]} ` +
                `FIELDS TERMINATED BY '\\t' (@id, payload) SET id = @id + ${offset};`;
            const r = await run("nsenter", [...this.cluster.clientArgs(0), "--local-infile=1"], { input: load, timeoutMs: 600000 });
            if (r.code !== 0) throw new Error(`loading the dataset failed: ${r.stderr.trim()}`);
            this.nextId += this.chunkRows;
            table = (table + 1) % TABLES.length;
        }
    }

    /** Row count over the dataset's tables on pod n (a full scan: checks a clone holds it all). */
    async count(n: number): Promise<number> {
        const sum = TABLES.map((t) => `(SELECT COUNT(*) FROM ${DATABASE}.${t})`).join(" + ");
        return Number(await this.cluster.value(n, `SELECT ${sum}`));
    }
}
