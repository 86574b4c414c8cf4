import { Policies } from "@pulumi/policy";
import { mysqlClaimRetention } from "./mysql-claim-retention";
import { mysqlDataVolumeClaim } from "./mysql-data-volume-claim";
import { mysqlImageTagPinned } from "./mysql-image-tag-pinned";
import { mysqlLivenessDiffersFromReadiness } from "./mysql-liveness-differs-from-readiness";
import { mysqlMetricsExporter } from "./mysql-metrics-exporter";
import { mysqlMinimumReplicas } from "./mysql-minimum-replicas";
import { mysqlPasswordsFromSecrets } from "./mysql-passwords-from-secrets";
import { mysqlPodDisruptionBudget } from "./mysql-pod-disruption-budget";
import { mysqlProbeTiming } from "./mysql-probe-timing";
import { mysqlProbesPresent } from "./mysql-probes-present";
import { mysqlResourceRequests } from "./mysql-resource-requests";
import { mysqlStorageClassAllowed } from "./mysql-storage-class-allowed";
import { mysqlStorageMinimumSize } from "./mysql-storage-minimum-size";
import { storageClassBinding } from "./storage-class-binding";

/** Every policy of the pack, storage first, then probes, then the safety checks beside them. */
export const replicatedMysqlPolicies: Policies = [
    mysqlDataVolumeClaim,
    mysqlStorageClassAllowed,
    mysqlStorageMinimumSize,
    storageClassBinding,
    mysqlClaimRetention,
    mysqlProbesPresent,
    mysqlProbeTiming,
    mysqlLivenessDiffersFromReadiness,
    mysqlPasswordsFromSecrets,
    mysqlImageTagPinned,
    mysqlResourceRequests,
    mysqlMinimumReplicas,
    mysqlPodDisruptionBudget,
    mysqlMetricsExporter,
];
