/**
 * A container's file system view, as a shell script run as root in a fresh mount namespace
 * (unshare --mount --propagation private). For an image root filesystem (a tree), as a
 * container runtime does it: the tree under an overlay whose writable layer is a private
 * tmpfs (so mount points the image lacks can be made without touching the cached tree),
 * /proc, the file a runtime provides (/etc/hosts), each volume mount of the pod spec at its
 * path, the root then made read-only and the process chrooted into it. For the host's own root (MariaDB from the
 * host's packages), the same mounts over the host's paths, and / read-only. Then the process
 * runs as the mysql user with no capabilities and no-new-privs, with only the environment it
 * was given.
 */
import * as fs from "fs";
import * as path from "path";

export interface Mount {
    source: string;
    /** Path inside the container. */
    target: string;
    readOnly: boolean;
}

export interface ContainerView {
    /** The image's root filesystem: "" for the host's own root. */
    rootfs: string;
    /** An empty host directory where the overlay's writable layer goes (for a tree). */
    layerDir: string;
    /** Host files bound over image files, as a runtime does (/etc/hosts). */
    imageFiles: Mount[];
    /** The pod spec's volume mounts. */
    mounts: Mount[];
    uid: number;
    gid: number;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Where `target` really is inside the tree: symbolic links are followed as a process
 * chrooted into the tree would follow them (mount(8) run outside would follow an absolute
 * link into the host's own /etc).
 */
export function resolveInRoot(rootfs: string, target: string): string {
    let current = target;
    for (let hops = 0; hops < 40; hops++) {
        const onHost = rootfs + current;
        let link: string;
        try {
            link = fs.readlinkSync(onHost);
        } catch {
            return current;
        }
        current = path.isAbsolute(link) ? link : path.join(path.dirname(current), link);
    }
    throw new Error(`too many symbolic links resolving ${target} in ${rootfs}`);
}

/** The root-side shell that builds the view and then execs `argv` as the mysql user. */
export function containerShell(view: ContainerView, argv: string[]): string {
    const r = view.rootfs;
    const lines = ["set -e"];
    if (r !== "") {
        const layer = quote(view.layerDir);
        lines.push(
            `mount -t tmpfs -o mode=0755 tmpfs ${layer}`,
            `mkdir ${layer}/upper ${layer}/work`,
            `mount -t overlay overlay -o ${quote(`lowerdir=${r},upperdir=${view.layerDir}/upper,workdir=${view.layerDir}/work`)} ${quote(r)}`,
            `mount -t proc proc ${quote(`${r}/proc`)}`,
        );
    } else {
        // /mnt gets a private tmpfs, so that mount points under it (the ConfigMap's) can be made.
        lines.push("mount -t tmpfs -o size=1m,mode=0755 tmpfs /mnt");
    }
    for (const file of view.imageFiles) {
        const target = quote(r + resolveInRoot(r, file.target));
        if (r !== "") lines.push(`[ -e ${target} ] || touch ${target}`);
        lines.push(`mount --bind ${quote(file.source)} ${target}`);
    }
    // /tmp last: the other sources may live under the host's /tmp.
    const ordered = [...view.mounts].sort((a, b) => Number(a.target === "/tmp") - Number(b.target === "/tmp"));
    for (const m of ordered) {
        const target = quote(r + m.target);
        if (r !== "" || m.target.startsWith("/mnt/")) lines.push(`mkdir -p ${target}`);
        lines.push(`mount --bind ${quote(m.source)} ${target}`);
        if (m.readOnly) lines.push(`mount -o remount,bind,ro ${target}`);
    }
    lines.push(`mount -o remount,bind,ro ${r === "" ? "/" : quote(r)}`);
    const drop = `setpriv --reuid=${view.uid} --regid=${view.gid} --clear-groups --no-new-privs --inh-caps=-all --bounding-set=-all --`;
    // Only the given environment: drop what this root shell itself exported.
    const env = "env -u PWD -u OLDPWD -u SHLVL -u _";
    if (r === "") {
        lines.push(`exec ${env} ${drop} ${argv.map(quote).join(" ")}`);
    } else {
        lines.push(`cd ${quote(r)}`, `exec ${env} chroot . /usr/bin/${drop} ${argv.map(quote).join(" ")}`);
    }
    return lines.join("\n");
}
