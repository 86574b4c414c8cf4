import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import { StackConfig } from "../stack/config";
import { ClusterTarget, DATABASE_CLASS_DEFAULTS } from "./target";

/** The EBS CSI driver's provisioner name (the in-tree `kubernetes.io/aws-ebs` is gone). */
export const EBS_CSI_PROVISIONER = "ebs.csi.aws.com";
/** AWS-managed policy the EBS CSI controller needs. */
export const EBS_CSI_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy";
/** Service account of the EBS CSI controller, as the add-on installs it. */
export const EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa";
/** Replicas spread over this many zones; EBS volumes are zonal. */
export const ZONE_COUNT = 3;

/** Name of the StorageClass the EKS stack creates: `mysql-gp2` or `mysql-gp3`. */
export function ebsClassName(volumeType: string): string {
    return `mysql-${volumeType}`;
}

/**
 * A new EKS cluster whose nodes span three availability zones, with the EBS CSI driver
 * add-on (its IAM through EKS Pod Identity) and an encrypted, expandable EBS StorageClass.
 * The Kubernetes provider is built from the new cluster's kubeconfig.
 */
export function eksTarget(config: StackConfig): ClusterTarget {
    const name = "mysql";
    const awsProvider = new aws.Provider("aws", { region: config.eks.region as aws.Region });
    const onAws = { provider: awsProvider };

    const zones = aws.getAvailabilityZonesOutput({ state: "available" }, onAws).names.apply((names) => {
        if (names.length < ZONE_COUNT) {
            throw new pulumi.RunError(
                `aws:region ${config.eks.region} has ${names.length} available zones; the eks stack needs ${ZONE_COUNT}`,
            );
        }
        return names.slice(0, ZONE_COUNT);
    });

    // A small VPC of our own, so that node subnets in three zones are guaranteed.
    const vpc = new aws.ec2.Vpc(
        `${name}-vpc`,
        { cidrBlock: "10.42.0.0/16", enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: `${name}-vpc` } },
        onAws,
    );
    const gateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id }, onAws);
    const routes = new aws.ec2.RouteTable(
        `${name}-public`,
        { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: gateway.id }] },
        onAws,
    );
    const subnetIds = Array.from({ length: ZONE_COUNT }, (_, i) => {
        const subnet = new aws.ec2.Subnet(
            `${name}-public-${i}`,
            {
                vpcId: vpc.id,
                availabilityZone: zones.apply((z) => z[i]),
                cidrBlock: `10.42.${i * 64}.0/18`,
                mapPublicIpOnLaunch: true,
                tags: { Name: `${name}-public-${i}`, "kubernetes.io/role/elb": "1" },
            },
            onAws,
        );
        new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: subnet.id, routeTableId: routes.id }, onAws);
        return subnet.id;
    });

    const cluster = new eks.Cluster(
        name,
        {
            vpcId: vpc.id,
            publicSubnetIds: subnetIds,
            nodeAssociatePublicIpAddress: true,
            instanceType: config.eks.instanceType,
            desiredCapacity: config.eks.nodeCount,
            minSize: config.eks.nodeCount,
            maxSize: config.eks.nodeCount,
            version: config.eks.kubernetesVersion,
        },
        { providers: { aws: awsProvider } },
    );
    const clusterName = cluster.eksCluster.name;

    // The EBS CSI controller assumes this role through the Pod Identity agent.
    const csiRole = new aws.iam.Role(
        `${name}-ebs-csi`,
        {
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Effect: "Allow",
                        Principal: { Service: "pods.eks.amazonaws.com" },
                        Action: ["sts:AssumeRole", "sts:TagSession"],
                    },
                ],
            }),
        },
        onAws,
    );
    const csiPolicy = new aws.iam.RolePolicyAttachment(
        `${name}-ebs-csi`,
        { role: csiRole.name, policyArn: EBS_CSI_POLICY_ARN },
        onAws,
    );
    const podIdentityAgent = new aws.eks.Addon(
        `${name}-pod-identity-agent`,
        { clusterName, addonName: "eks-pod-identity-agent", resolveConflictsOnCreate: "OVERWRITE" },
        onAws,
    );
    const ebsCsiDriver = new aws.eks.Addon(
        `${name}-ebs-csi-driver`,
        {
            clusterName,
            addonName: "aws-ebs-csi-driver",
            resolveConflictsOnCreate: "OVERWRITE",
            podIdentityAssociations: [{ roleArn: csiRole.arn, serviceAccount: EBS_CSI_SERVICE_ACCOUNT }],
        },
        { ...onAws, dependsOn: [csiPolicy, podIdentityAgent] },
    );

    const provider = new k8s.Provider(name, { kubeconfig: cluster.kubeconfigJson });
    const className = ebsClassName(config.eks.ebsVolumeType);
    const storageClass = new k8s.storage.v1.StorageClass(
        className,
        {
            metadata: { name: className },
            provisioner: EBS_CSI_PROVISIONER,
            ...DATABASE_CLASS_DEFAULTS,
            parameters: { type: config.eks.ebsVolumeType, encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" },
        },
        { provider, dependsOn: [ebsCsiDriver] },
    );

    return {
        provider,
        storageClass: config.storageClass !== undefined ? pulumi.output(config.storageClass) : storageClass.metadata.name,
        extraOutputs: { kubeconfig: pulumi.secret(cluster.kubeconfigJson), clusterName },
    };
}
