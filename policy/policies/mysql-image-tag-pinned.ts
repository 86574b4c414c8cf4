import { PolicyConfig } from "../lib/config";
import { databaseStatefulSetPolicy } from "../lib/define";
import { parseImage } from "../lib/image";
import { asString } from "../lib/values";

const name = "mysql-image-tag-pinned";

/**
 * An untagged or :latest image lets a pod restart pull a different major version of the server
 * than its peers run: replicas of one cluster then disagree on the on-disk format and replication
 * syntax (MySQL 8.4 removed CHANGE MASTER TO), and a rollback means restoring data.
 */
export const mysqlImageTagPinned = databaseStatefulSetPolicy({
    name,
    description: "Every container image in a database StatefulSet names a version tag other than latest, or a digest.",
    enforcementLevel: "mandatory",
    severity: "high",
    url: "https://kubernetes.io/docs/concepts/containers/images/#image-names",
    remediationSteps: "Pin each image to a version tag (mysql:9.7, mariadb:10.11) or a digest.",
    config: new PolicyConfig(name, {}),
    validate(statefulSet, _config, report) {
        for (const { container, path, label } of statefulSet.allContainers()) {
            const image = asString(container.image);
            if (image === undefined) {
                continue;
            }
            const { repository, tag, digest } = parseImage(image);
            if (digest !== undefined) {
                continue;
            }
            if (tag === undefined) {
                report(`${statefulSet.label}: ${label} image ${JSON.stringify(image)} (${path}.image) has no tag, so a restart can pull a different server version; ` +
                    `pin a version tag such as ${repository.split("/").pop()}:<version> or a digest.`);
            } else if (tag.toLowerCase() === "latest") {
                report(`${statefulSet.label}: ${label} image ${JSON.stringify(image)} (${path}.image) uses the "latest" tag, so a restart can pull a different server version; ` +
                    `pin a version tag such as ${repository.split("/").pop()}:<version> or a digest.`);
            }
        }
    },
});
