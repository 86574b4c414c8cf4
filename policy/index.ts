import { PolicyPack } from "@pulumi/policy";
import { replicatedMysqlPolicies } from "./policies";

new PolicyPack("replicated-mysql", {
    description: "Storage, probe and safety rules for MySQL/MariaDB StatefulSets on Kubernetes.",
    enforcementLevel: "advisory",
    policies: replicatedMysqlPolicies,
});
