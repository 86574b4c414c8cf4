/**
 * The pod the harness runs, read from the component's own StatefulSet spec
 * (components/mysql/manifests.ts statefulSetSpec with the component's resolved args): init
 * containers and containers in order, their commands, environment, volume mounts and the
 * readiness probe. When the component adds, drops or changes a container, the harness
 * follows without a table of its own.
 */
import { resolveArgs } from "../../../components/mysql/args";
import { Engine } from "../../../components/mysql/engine";
import { SECRET_KEYS, statefulSetSpec } from "../../../components/mysql/manifests";

/** A volume of the pod, by the name the spec gives it. */
export type VolumeName = "data" | "conf" | "config-map" | "run" | "tmp";
const VOLUMES: readonly string[] = ["data", "conf", "config-map", "run", "tmp"];

export interface VolumeMount {
    volume: VolumeName;
    mountPath: string;
    readOnly: boolean;
}

export interface ContainerSpec {
    name: string;
    command: string[];
    /** Literal values; secret references name a key of the credentials Secret. */
    env: { name: string; value?: string; secretKey?: string }[];
    mounts: VolumeMount[];
    /** The exec readiness probe's command, if the container has one. */
    readinessCommand?: string[];
}

export interface PodSpec {
    initContainers: ContainerSpec[];
    containers: ContainerSpec[];
    /** The container whose readiness probe decides whether the pod is Ready. */
    server: ContainerSpec;
}

// The plain shape of what statefulSetSpec returns for plain args (no Outputs inside).
interface PlainContainer {
    name: string;
    command?: string[];
    env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { key: string } } }[];
    volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
    readinessProbe?: { exec?: { command?: string[] } };
}

function containerSpec(c: PlainContainer): ContainerSpec {
    if (!c.command || c.command.length === 0) throw new Error(`container ${c.name} has no command`);
    return {
        name: c.name,
        command: c.command,
        env: (c.env ?? []).map((e) => {
            const secretKey = e.valueFrom?.secretKeyRef?.key;
            if (e.value === undefined && secretKey === undefined) throw new Error(`container ${c.name}: env ${e.name} is neither a value nor a Secret key`);
            return { name: e.name, value: e.value, secretKey };
        }),
        mounts: (c.volumeMounts ?? []).map((m) => {
            if (!VOLUMES.includes(m.name)) throw new Error(`container ${c.name} mounts volume ${m.name}, which the harness does not provide`);
            return { volume: m.name as VolumeName, mountPath: m.mountPath, readOnly: m.readOnly === true };
        }),
        readinessCommand: c.readinessProbe?.exec?.command,
    };
}

/** The pod template of StatefulSet `name` for `engine`, with the component's defaults. */
export function podSpec(name: string, engine: Engine): PodSpec {
    const spec = statefulSetSpec(resolveArgs(name, { engine }), "data-plane") as unknown as {
        template: { spec: { initContainers?: PlainContainer[]; containers: PlainContainer[] } };
    };
    const initContainers = (spec.template.spec.initContainers ?? []).map(containerSpec);
    const containers = spec.template.spec.containers.map(containerSpec);
    const withProbe = containers.filter((c) => c.readinessCommand);
    if (withProbe.length !== 1) throw new Error(`expected one container with an exec readiness probe, found ${withProbe.length}`);
    return { initContainers, containers, server: withProbe[0] };
}

/** The credentials Secret's values, keyed as the spec's secret references name them. */
export function secretValues(passwords: Record<keyof typeof SECRET_KEYS, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(SECRET_KEYS).map(([account, key]) => [key, passwords[account as keyof typeof SECRET_KEYS]]));
}
