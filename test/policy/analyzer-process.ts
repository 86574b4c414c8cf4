import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";

export const policyPackDir = path.resolve(__dirname, "../../policy");

/** The analyzer plugin the CLI runs for Node.js packs (see the script's header). */
export const analyzerPlugin = path.join(policyPackDir, "plugin", "pulumi-analyzer-policy");

/**
 * The policy pack running in its own process, started the way the Pulumi CLI starts a Node.js
 * pack: the `pulumi-analyzer-policy` plugin, run in the pack's directory with the engine's
 * address and "." as arguments, resolves `@pulumi/pulumi/cmd/run-policy-pack` from there and runs
 * it with node; the pack prints the port of its analyzer gRPC server on stdout.
 */
export class AnalyzerProcess {
    private constructor(private readonly child: ChildProcess, readonly client: AnalyzerClient, readonly stderr: () => string) {}

    static async start(): Promise<AnalyzerProcess> {
        // The runner drops the engine address before loading the pack (a Node.js pack never dials
        // the engine), so a closed loopback port stands in for it. The plugin finds `node` on
        // PATH, as under the CLI: put this test's Node first.
        const child = spawn(analyzerPlugin, ["127.0.0.1:1", "."], {
            cwd: policyPackDir,
            env: {
                ...process.env,
                PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`,
                PULUMI_CONFIG: "{}", PULUMI_PROJECT: "replicated-mysql", PULUMI_STACK: "policy-test", PULUMI_DRY_RUN: "true",
            },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        child.stderr!.on("data", chunk => { stderr += chunk; });
        const port = await new Promise<number>((resolve, reject) => {
            let stdout = "";
            child.stdout!.on("data", chunk => {
                stdout += chunk;
                const line = /^(\d+)\s*$/m.exec(stdout);
                if (line) {
                    resolve(Number(line[1]));
                }
            });
            child.on("exit", code => reject(new Error(`policy pack exited with ${code} before printing its port:\n${stderr}`)));
        });
        const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        return new AnalyzerProcess(child, client, () => stderr);
    }

    get pid(): number | undefined {
        return this.child.pid;
    }

    /** Ends the pack by its PID, as the engine does when the update finishes. */
    async stop(): Promise<number | null> {
        this.client.close();
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
            return this.child.exitCode;
        }
        const exited = new Promise<number | null>(resolve => this.child.on("exit", code => resolve(code)));
        process.kill(this.child.pid!, "SIGTERM");
        return exited;
    }

    getAnalyzerInfo(): Promise<analyzer.AnalyzerInfo> {
        return unary(callback => this.client.getAnalyzerInfo(new Empty(), callback));
    }

    configure(config: Record<string, { enforcementLevel: analyzer.EnforcementLevel; properties?: Record<string, unknown> }>): Promise<unknown> {
        const request = new analyzer.ConfigureAnalyzerRequest();
        for (const [policy, { enforcementLevel, properties }] of Object.entries(config)) {
            const policyConfig = new analyzer.PolicyConfig();
            policyConfig.setEnforcementlevel(enforcementLevel);
            policyConfig.setProperties(Struct.fromJavaScript((properties ?? {}) as never));
            request.getPolicyconfigMap().set(policy, policyConfig);
        }
        return unary(callback => this.client.configure(request, callback));
    }

    analyze(type: string, name: string, props: object): Promise<analyzer.AnalyzeResponse> {
        const request = new analyzer.AnalyzeRequest();
        request.setType(type);
        request.setName(name);
        request.setUrn(urn(type, name));
        request.setProperties(Struct.fromJavaScript(props as never));
        request.setOptions(new analyzer.AnalyzerResourceOptions());
        return unary(callback => this.client.analyze(request, callback));
    }

    analyzeStack(resources: { type: string; name: string; props: object }[]): Promise<analyzer.AnalyzeResponse> {
        const request = new analyzer.AnalyzeStackRequest();
        request.setResourcesList(resources.map(({ type, name, props }) => {
            const resource = new analyzer.AnalyzerResource();
            resource.setType(type);
            resource.setName(name);
            resource.setUrn(urn(type, name));
            resource.setProperties(Struct.fromJavaScript(props as never));
            resource.setOptions(new analyzer.AnalyzerResourceOptions());
            return resource;
        }));
        return unary(callback => this.client.analyzeStack(request, callback));
    }
}

export function urn(type: string, name: string): string {
    return `urn:pulumi:policy-test::replicated-mysql::${type}::${name}`;
}

function unary<T>(call: (callback: (error: grpc.ServiceError | null, response: T) => void) => unknown): Promise<T> {
    return new Promise((resolve, reject) => {
        call((error, response) => error ? reject(error) : resolve(response));
    });
}
