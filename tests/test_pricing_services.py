"""Managed services priced by node, broker or task (pricing/services.py), through the real front-ends
and the real `advisor cost --format json`.

Each figure is worked out here from AWS's published on-demand price (us-east-1), named next to it, so
a wrong row in `pricing/data/prices_services.csv` or a wrong quantity fails. The golden cases rebuild
resources of infracost's AWS golden tests and compare with the golden components (an independent
oracle) within 5 %; where Advisor deliberately bills differently, the test says why.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

HOURS = 730


def cost_report(tmp_path: Path, files: dict[str, str]) -> dict[str, Any]:
    project = tmp_path / "project"
    project.mkdir()
    for name, text in files.items():
        (project / name).write_text(text)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = run_cli("cost", "--format", "json", ".", cwd=project, env=env)
    assert proc.returncode == 0, proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def by_address(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["address"]: r for r in report["resources"]}


def component(resource: dict[str, Any], prefix: str) -> dict[str, Any]:
    found = [c for c in resource["components"] if c["name"].startswith(prefix)]
    assert len(found) == 1, (prefix, [c["name"] for c in resource["components"]])
    return found[0]


def near(actual: float | None, expected: float, tolerance: float = 0.005) -> bool:
    return actual is not None and abs(actual - expected) <= tolerance


SERVICES_TF = """
provider "aws" {
  region = "us-east-1"
}

resource "aws_msk_cluster" "events" {
  cluster_name           = "events"
  kafka_version          = "3.6.0"
  number_of_broker_nodes = 3
  broker_node_group_info {
    instance_type   = "kafka.m5.large"
    client_subnets  = ["subnet-a", "subnet-b", "subnet-c"]
    security_groups = ["sg-1"]
    storage_info {
      ebs_storage_info {
        volume_size = 100
      }
    }
  }
}

resource "aws_msk_cluster" "typo" {
  cluster_name           = "typo"
  kafka_version          = "3.6.0"
  number_of_broker_nodes = 2
  broker_node_group_info {
    instance_type   = "kafka.m5.larg"
    client_subnets  = ["subnet-a", "subnet-b"]
    security_groups = ["sg-1"]
  }
}

resource "aws_opensearch_domain" "logs" {
  domain_name = "logs"
  cluster_config {
    instance_type            = "r6g.large.search"
    instance_count           = 3
    dedicated_master_enabled = true
    dedicated_master_type    = "m5.large.search"
    dedicated_master_count   = 3
  }
  ebs_options {
    ebs_enabled = true
    volume_type = "gp3"
    volume_size = 100
    throughput  = 250
  }
}

resource "aws_redshift_cluster" "warehouse" {
  cluster_identifier = "warehouse"
  node_type          = "ra3.xlplus"
  number_of_nodes    = 2
  cluster_type       = "multi-node"
  master_username    = "admin"
}

resource "aws_docdb_cluster" "docs" {
  cluster_identifier = "docs"
}

resource "aws_docdb_cluster_instance" "docs" {
  count              = 2
  cluster_identifier = aws_docdb_cluster.docs.id
  instance_class     = "db.r5.large"
}

resource "aws_neptune_cluster_instance" "graph" {
  cluster_identifier = "graph"
  instance_class     = "db.r5.large"
}

resource "aws_kms_key" "k" {}

resource "aws_secretsmanager_secret" "s" {
  name = "s"
}

resource "aws_cloudwatch_metric_alarm" "fast" {
  alarm_name          = "fast"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  metric_name         = "CPUUtilization"
  namespace           = "AWS/EC2"
  period              = 10
  statistic           = "Average"
  threshold           = 80
}
"""


def test_services_priced_from_published_prices(tmp_path: Path) -> None:
    report = cost_report(tmp_path, {"main.tf": SERVICES_TF})
    res = by_address(report)

    # MSK: kafka.m5.large $0.21/hour and broker storage $0.10/GB-month (aws.amazon.com/msk/pricing/)
    msk = res["aws_msk_cluster.events"]
    brokers = component(msk, "Broker instances")
    assert brokers["quantity"] == 3 * HOURS and brokers["unit_price"] == 0.21
    assert brokers["source"] == "aws-msk-pricing" and brokers["as_of"]
    assert component(msk, "Broker storage")["quantity"] == 300
    assert near(msk["monthly_cost"], 3 * HOURS * 0.21 + 300 * 0.10)

    # a broker type the catalog does not know is unknown, never $0
    typo = res["aws_msk_cluster.typo"]
    assert typo["monthly_cost"] is None
    assert "no price for msk.kafka.m5.larg" in component(typo, "Broker instances")["note"]

    # OpenSearch: r6g.large.search $0.167/hour, m5.large.search $0.142/hour, gp3 $0.122/GB-month, gp3
    # throughput $0.064/MiBps-month above the 125 MiB/s a 100 GB volume includes (per data node)
    domain = res["aws_opensearch_domain.logs"]
    assert component(domain, "Data instances")["unit_price"] == 0.167
    assert component(domain, "Dedicated master")["unit_price"] == 0.142
    assert component(domain, "Storage (gp3)")["quantity"] == 300
    assert component(domain, "Provisioned throughput")["quantity"] == 3 * 125
    expected = 3 * HOURS * 0.167 + 3 * HOURS * 0.142 + 300 * 0.122 + 375 * 0.064
    assert near(domain["monthly_cost"], expected)

    # Redshift: ra3.xlplus $1.086/hour per node; RA3 managed storage depends on usage
    warehouse = res["aws_redshift_cluster.warehouse"]
    assert near(warehouse["monthly_cost"], 2 * HOURS * 1.086)
    managed = component(warehouse, "Managed storage")
    assert managed["quantity"] is None and managed["unit_price"] == 0.024

    # DocumentDB db.r5.large $0.277/hour (each counted instance), storage and I/O on the cluster
    for i in (0, 1):
        assert near(res[f"aws_docdb_cluster_instance.docs[{i}]"]["monthly_cost"], HOURS * 0.277)
    cluster = res["aws_docdb_cluster.docs"]
    assert component(cluster, "Storage")["quantity"] is None
    assert component(cluster, "I/O requests")["unit_price"] == 0.2
    assert cluster["monthly_cost"] == 0

    # Neptune db.r5.large $0.348/hour
    assert near(res["aws_neptune_cluster_instance.graph"]["monthly_cost"], HOURS * 0.348)

    # KMS $1/key-month, Secrets Manager $0.40/secret-month, a 10-second alarm $0.30/metric-month
    assert near(res["aws_kms_key.k"]["monthly_cost"], 1.0)
    assert near(res["aws_secretsmanager_secret.s"]["monthly_cost"], 0.40)
    assert near(res["aws_cloudwatch_metric_alarm.fast"]["monthly_cost"], 0.30)


FARGATE_TF = """
provider "aws" {
  region = "us-east-1"
}

resource "aws_ecs_cluster" "main" {
  name = "main"
}

resource "aws_ecs_task_definition" "api" {
  family                   = "api"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "512"
  memory                   = "1024"
  container_definitions    = "[]"
}

resource "aws_ecs_task_definition" "worker" {
  family                   = "worker"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "1 vCPU"
  memory                   = "2 GB"
  container_definitions    = "[]"
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "ARM64"
  }
  ephemeral_storage {
    size_in_gib = 50
  }
}

resource "aws_ecs_service" "api" {
  name            = "api"
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.api.arn
  launch_type     = "FARGATE"
  desired_count   = 2
}

resource "aws_ecs_service" "worker" {
  name            = "worker"
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.worker.arn
  desired_count   = 1
  capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

data "aws_ecs_task_definition" "elsewhere" {
  task_definition = "elsewhere"
}

resource "aws_ecs_service" "unknown" {
  name            = "unknown"
  cluster         = aws_ecs_cluster.main.id
  task_definition = data.aws_ecs_task_definition.elsewhere.arn
  launch_type     = "FARGATE"
  desired_count   = 1
}

resource "aws_ecs_service" "spot" {
  name            = "spot"
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.api.arn
  desired_count   = 1
  capacity_provider_strategy {
    capacity_provider = "FARGATE_SPOT"
    weight            = 1
  }
}
"""


def test_ecs_fargate_services(tmp_path: Path) -> None:
    res = by_address(cost_report(tmp_path, {"main.tf": FARGATE_TF}))
    # Fargate Linux/x86 $0.04048 per vCPU-hour and $0.004445 per GB-hour (aws.amazon.com/fargate/pricing/)
    api = res["aws_ecs_service.api"]
    assert component(api, "Fargate vCPU (x86_64)")["quantity"] == 0.5 * 2 * HOURS
    assert component(api, "Fargate memory (x86_64)")["quantity"] == 1 * 2 * HOURS
    assert near(api["monthly_cost"], 0.5 * 2 * HOURS * 0.04048 + 2 * HOURS * 0.004445)
    # Linux/ARM $0.03238 per vCPU-hour, $0.00356 per GB-hour; ephemeral storage above the free 20 GB
    # $0.000111 per GB-hour
    worker = res["aws_ecs_service.worker"]
    assert component(worker, "Fargate vCPU (arm64)")["unit_price"] == 0.03238
    expected = HOURS * 0.03238 + 2 * HOURS * 0.00356 + 30 * HOURS * 0.000111
    assert near(worker["monthly_cost"], expected)
    # a task definition this module does not declare: "depends on the task definition", not $0
    unknown = res["aws_ecs_service.unknown"]
    assert unknown["monthly_cost"] is None
    assert "depends on the task definition" in component(unknown, "Fargate tasks")["note"]
    # Fargate Spot is not in the catalog: unknown
    assert res["aws_ecs_service.spot"]["monthly_cost"] is None
    # the task definition and the cluster cost nothing by themselves
    assert res["aws_ecs_task_definition.api"]["monthly_cost"] == 0
    assert res["aws_ecs_cluster.main"]["monthly_cost"] == 0


CFN_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Kafka:
    Type: AWS::MSK::Cluster
    Properties:
      ClusterName: events
      KafkaVersion: "3.6.0"
      NumberOfBrokerNodes: 2
      BrokerNodeGroupInfo:
        InstanceType: kafka.m7g.large
        ClientSubnets: [subnet-a, subnet-b]
        StorageInfo:
          EBSStorageInfo:
            VolumeSize: 500
  Search:
    Type: AWS::OpenSearchService::Domain
    Properties:
      ClusterConfig:
        InstanceType: m5.large.search
        InstanceCount: 2
      EBSOptions:
        EBSEnabled: true
        VolumeType: gp2
        VolumeSize: 50
  Warehouse:
    Type: AWS::Redshift::Cluster
    Properties:
      ClusterType: single-node
      NodeType: dc2.large
      DBName: dev
      MasterUsername: admin
      MasterUserPassword: Example123
  TaskDef:
    Type: AWS::ECS::TaskDefinition
    Properties:
      RequiresCompatibilities: [FARGATE]
      Cpu: "1024"
      Memory: "2048"
      NetworkMode: awsvpc
  Service:
    Type: AWS::ECS::Service
    Properties:
      LaunchType: FARGATE
      DesiredCount: 3
      TaskDefinition: !Ref TaskDef
  Docs:
    Type: AWS::DocDB::DBInstance
    Properties:
      DBClusterIdentifier: docs
      DBInstanceClass: db.t3.medium
"""


def test_cloudformation_types_map_onto_the_same_estimators(tmp_path: Path) -> None:
    res = by_address(cost_report(tmp_path, {"template.yaml": CFN_TEMPLATE}))
    # kafka.m7g.large $0.204/hour, storage $0.10/GB-month
    assert near(res["Kafka"]["monthly_cost"], 2 * HOURS * 0.204 + 1000 * 0.10)
    assert res["Kafka"]["type"] == "aws_msk_cluster"
    # m5.large.search $0.142/hour, gp2 $0.135/GB-month per node
    assert near(res["Search"]["monthly_cost"], 2 * HOURS * 0.142 + 100 * 0.135)
    # dc2.large $0.25/hour
    assert near(res["Warehouse"]["monthly_cost"], HOURS * 0.25)
    # 3 tasks × (1 vCPU × $0.04048 + 2 GB × $0.004445) per hour
    assert near(res["Service"]["monthly_cost"], 3 * HOURS * (0.04048 + 2 * 0.004445))
    # DocumentDB db.t3.medium $0.078/hour; CPU credits depend on usage
    assert near(res["Docs"]["monthly_cost"], HOURS * 0.078)


# -- infracost golden outputs as an oracle --------------------------------------------------------------
# Each case is a resource of an infracost AWS golden test (us-east-1), written again here, with the
# golden monthly figures of its components. Advisor's matching lines must agree within 5 %.

GOLDEN_TF = """
provider "aws" {
  region = "us-east-1"
}

resource "aws_msk_cluster" "cluster-4-nodes" {
  cluster_name           = "example"
  kafka_version          = "2.4.1"
  number_of_broker_nodes = 4
  broker_node_group_info {
    instance_type   = "kafka.m5.24xlarge"
    ebs_volume_size = 1000
    client_subnets  = ["a", "b", "c", "d"]
    security_groups = ["sg"]
  }
}

resource "aws_elasticsearch_domain" "gp2" {
  domain_name           = "example-domain"
  elasticsearch_version = "1.5"
  cluster_config {
    instance_type            = "c4.2xlarge.elasticsearch"
    instance_count           = 3
    dedicated_master_enabled = true
    dedicated_master_type    = "c4.8xlarge.elasticsearch"
    dedicated_master_count   = 1
    warm_enabled             = true
    warm_count               = 2
    warm_type                = "ultrawarm1.medium.elasticsearch"
  }
  ebs_options {
    ebs_enabled = true
    volume_size = 400
    volume_type = "gp2"
  }
}

resource "aws_opensearch_domain" "gp3_paid" {
  domain_name = "example-domain"
  cluster_config {
    instance_type  = "c4.2xlarge.search"
    instance_count = 1
  }
  ebs_options {
    ebs_enabled = true
    throughput  = 700
    volume_size = 4000
    volume_type = "gp3"
  }
}

resource "aws_redshift_cluster" "manageda" {
  cluster_identifier = "tf-redshift-cluster"
  database_name      = "mydb"
  master_username    = "foo"
  node_type          = "ra3.4xlarge"
  cluster_type       = "multi-node"
  number_of_nodes    = 6
}

resource "aws_redshift_cluster" "ca" {
  cluster_identifier = "tf-redshift-cluster"
  master_username    = "foo"
  node_type          = "dc2.large"
  number_of_nodes    = 4
}

resource "aws_docdb_cluster_instance" "large" {
  cluster_identifier = "docdb"
  instance_class     = "db.r5.4xlarge"
}

resource "aws_ecs_task_definition" "ecs_task" {
  requires_compatibilities = ["FARGATE"]
  family                   = "ecs_task1"
  memory                   = "2 GB"
  cpu                      = "1 vCPU"
  container_definitions    = "[]"
}

resource "aws_ecs_service" "ecs_fargate2" {
  name            = "ecs_fargate2"
  launch_type     = "FARGATE"
  task_definition = aws_ecs_task_definition.ecs_task.arn
  desired_count   = 2
}

resource "aws_ec2_transit_gateway_vpc_attachment" "vpc_attachment" {
  subnet_ids         = ["subnet"]
  transit_gateway_id = "tgw"
  vpc_id             = "vpc"
}

resource "aws_vpn_connection" "transit" {
  customer_gateway_id = "cgw"
  transit_gateway_id  = "tgw"
  type                = "ipsec.1"
}

resource "aws_cloudwatch_dashboard" "dashboard" {
  dashboard_name = "d"
  dashboard_body = "{}"
}

resource "aws_directory_service_directory" "microsoft_ad_standard" {
  name     = "corp.example.com"
  password = "SuperSecretPassw0rd"
  edition  = "Standard"
  type     = "MicrosoftAD"
}

resource "aws_directory_service_directory" "simple_ad_large" {
  name     = "corp.example.com"
  password = "SuperSecretPassw0rd"
  type     = "SimpleAD"
  size     = "Large"
}

resource "aws_mq_broker" "my_aws_mq_broker_activemq_standby_efs" {
  broker_name        = "b"
  engine_type        = "ActiveMQ"
  engine_version     = "5.17.6"
  host_instance_type = "mq.m5.large"
  storage_type       = "efs"
  deployment_mode    = "ACTIVE_STANDBY_MULTI_AZ"
}

resource "aws_mq_broker" "my_aws_mq_broker_rabbitmq_cluster" {
  broker_name        = "r"
  engine_type        = "RabbitMQ"
  engine_version     = "3.11.20"
  host_instance_type = "mq.m5.xlarge"
  deployment_mode    = "cluster_multi_az"
}

resource "aws_transfer_server" "multiple_protocols" {
  protocols = ["SFTP", "FTPS", "FTP"]
}

resource "aws_route53_resolver_endpoint" "test" {
  direction          = "INBOUND"
  security_group_ids = ["sg"]
  ip_address {
    subnet_id = "a"
  }
  ip_address {
    subnet_id = "b"
  }
}

resource "aws_vpc_endpoint" "multiple_interfaces" {
  vpc_id            = "vpc"
  service_name      = "com.amazonaws.us-east-1.ec2"
  vpc_endpoint_type = "Interface"
  subnet_ids        = ["a", "b"]
}

resource "aws_vpc_endpoint" "gateway" {
  vpc_id       = "vpc"
  service_name = "com.amazonaws.us-east-1.s3"
}

resource "aws_networkfirewall_firewall" "networkfirewall_firewall" {
  name                = "f"
  firewall_policy_arn = "arn"
  vpc_id              = "vpc"
  subnet_mapping {
    subnet_id = "subnet"
  }
}
"""

# (address, component name prefix, golden monthly cost, golden test / component)
GOLDEN = [
    (
        "aws_directory_service_directory.microsoft_ad_standard",
        "Domain controllers",
        87.60,
        "directory_service_directory_test Microsoft AD, Standard",
    ),
    (
        "aws_directory_service_directory.simple_ad_large",
        "Domain controllers",
        219.00,
        "directory_service_directory_test Simple AD, Large",
    ),
    (
        "aws_mq_broker.my_aws_mq_broker_activemq_standby_efs",
        "Broker instances",
        420.48,
        "mq_broker_test ActiveMQ mq.m5.large active_standby_multi_az",
    ),
    (
        "aws_mq_broker.my_aws_mq_broker_rabbitmq_cluster",
        "Broker instances",
        1261.44,
        "mq_broker_test RabbitMQ mq.m5.xlarge cluster_multi_az",
    ),
    (
        "aws_transfer_server.multiple_protocols",
        "Enabled protocols",
        657.00,
        "transfer_server_test 3 × 219.00",
    ),
    ("aws_route53_resolver_endpoint.test", "Resolver endpoint", 182.50, "route53_resolver_endpoint_test"),
    (
        "aws_vpc_endpoint.multiple_interfaces",
        "Endpoint (Interface",
        14.60,
        "vpc_endpoint_test multiple_interfaces",
    ),
    (
        "aws_msk_cluster.cluster-4-nodes",
        "Broker instances",
        29433.60,
        "msk_cluster_test Instance (kafka.m5.24xlarge)",
    ),
    ("aws_msk_cluster.cluster-4-nodes", "Broker storage", 400.00, "msk_cluster_test Storage (4000 GB)"),
    ("aws_elasticsearch_domain.gp2", "Data instances", 1285.53, "elasticsearch_domain_test Instance"),
    (
        "aws_elasticsearch_domain.gp2",
        "Dedicated master",
        1713.31,
        "elasticsearch_domain_test Dedicated master",
    ),
    ("aws_elasticsearch_domain.gp2", "UltraWarm", 347.48, "elasticsearch_domain_test UltraWarm instance"),
    ("aws_opensearch_domain.gp3_paid", "Data instances", 428.51, "elasticsearch_domain_test above_3TB_paid"),
    ("aws_opensearch_domain.gp3_paid", "Storage (gp3)", 488.00, "elasticsearch_domain_test above_3TB_paid"),
    (
        "aws_opensearch_domain.gp3_paid",
        "Provisioned throughput",
        12.80,
        "elasticsearch_domain_test above_3TB_paid",
    ),
    (
        "aws_redshift_cluster.manageda",
        "Cluster nodes",
        14278.80,
        "redshift_cluster_test Cluster usage ra3.4xlarge",
    ),
    ("aws_redshift_cluster.ca", "Cluster nodes", 730.00, "redshift_cluster_test Cluster usage dc2.large"),
    (
        "aws_docdb_cluster_instance.large",
        "Database instance",
        1617.68,
        "docdb_cluster_instance_test r5.4xlarge",
    ),
    ("aws_ecs_service.ecs_fargate2", "Fargate vCPU", 59.10, "ecs_service_test Per vCPU per hour"),
    ("aws_ecs_service.ecs_fargate2", "Fargate memory", 12.98, "ecs_service_test Per GB per hour"),
    (
        "aws_ec2_transit_gateway_vpc_attachment.vpc_attachment",
        "Transit gateway attachment",
        36.50,
        "ec2_transit_gateway_vpc_attachment_test",
    ),
    ("aws_vpn_connection.transit", "VPN connection", 36.50, "vpn_connection_test"),
    ("aws_vpn_connection.transit", "Transit gateway attachment", 36.50, "vpn_connection_test"),
    ("aws_cloudwatch_dashboard.dashboard", "Dashboard", 3.00, "cloudwatch_dashboard_test"),
    (
        "aws_networkfirewall_firewall.networkfirewall_firewall",
        "Firewall endpoints",
        288.35,
        "networkfirewall_firewall_test Network Firewall Endpoint",
    ),
]


@pytest.fixture(scope="module")
def golden_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return by_address(cost_report(tmp_path_factory.mktemp("golden"), {"main.tf": GOLDEN_TF}))


@pytest.mark.parametrize(
    ("address", "prefix", "golden", "where"), GOLDEN, ids=[f"{g[0]}:{g[1]}" for g in GOLDEN]
)
def test_golden_components_within_5_percent(
    golden_report: dict[str, dict[str, Any]], address: str, prefix: str, golden: float, where: str
) -> None:
    line = component(golden_report[address], prefix)
    assert line["monthly_cost"] is not None, where
    assert abs(line["monthly_cost"] - golden) <= 0.05 * golden, (where, line)


def test_opensearch_storage_is_billed_per_data_node(golden_report: dict[str, dict[str, Any]]) -> None:
    # infracost's golden elasticsearch_domain_test gp2 bills 400 GB for three data nodes; AWS bills
    # `volume_size` on every data node (the EBS volume is per node), so Advisor counts 1200 GB.
    storage = component(golden_report["aws_elasticsearch_domain.gp2"], "Storage (gp2)")
    assert storage["quantity"] == 1200 and storage["unit_price"] == 0.135


def test_memorydb_nodes(tmp_path: Path) -> None:
    tf = """
resource "aws_memorydb_cluster" "cache" {
  name                   = "cache"
  acl_name               = "open-access"
  node_type              = "db.r6g.large"
  num_shards             = 2
  num_replicas_per_shard = 2
}

resource "aws_memorydb_cluster" "valkey" {
  name                   = "valkey"
  acl_name               = "open-access"
  engine                 = "valkey"
  node_type              = "db.r6g.xlarge"
  num_shards             = 1
  num_replicas_per_shard = 1
}

resource "aws_memorydb_cluster" "small" {
  name      = "small"
  acl_name  = "open-access"
  node_type = "db.t4g.small"
}
"""
    found = by_address(cost_report(tmp_path, {"main.tf": tf}))
    # prices_services.csv memorydb.redis.db.r6g.large 0.40/h: 2 shards × (1 primary + 2 replicas) = 6
    # nodes, 6 × 730 × 0.40 = 1,752.00 (infracost memorydb_cluster_test aws_memorydb_cluster.redis)
    cache = found["aws_memorydb_cluster.cache"]
    assert component(cache, "Nodes")["quantity"] == 2 * 3 * HOURS
    assert abs(cache["monthly_cost"] - 1752.00) < 0.005
    # memorydb.valkey.db.r6g.xlarge 0.56/h (8 normalized units × 0.07): 2 nodes × 730 × 0.56 = 817.60
    assert abs(found["aws_memorydb_cluster.valkey"]["monthly_cost"] - 817.60) < 0.005
    # db.t4g.small has no row: the node-hours are counted, the price is unknown, never $0
    small = found["aws_memorydb_cluster.small"]
    assert component(small, "Nodes")["unit_price"] is None and small["monthly_cost"] is None


def test_gateway_endpoints_and_usage_lines(golden_report: dict[str, dict[str, Any]]) -> None:
    # S3/DynamoDB gateway endpoints cost nothing; interface endpoint data ($0.01/GB) depends on usage
    assert golden_report["aws_vpc_endpoint.gateway"]["monthly_cost"] == 0
    data = component(golden_report["aws_vpc_endpoint.multiple_interfaces"], "Data processed")
    assert data["quantity"] is None and data["unit_price"] == 0.01
    # ActiveMQ storage on EFS $0.30/GB-month, RabbitMQ on EBS $0.10/GB-month: by usage
    efs = component(golden_report["aws_mq_broker.my_aws_mq_broker_activemq_standby_efs"], "Storage (EFS)")
    ebs = component(golden_report["aws_mq_broker.my_aws_mq_broker_rabbitmq_cluster"], "Storage (EBS)")
    assert (efs["unit_price"], ebs["unit_price"]) == (0.30, 0.10)


def test_more_cloudformation_types(tmp_path: Path) -> None:
    template = """
Resources:
  Endpoint:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: vpc-1
      ServiceName: com.amazonaws.us-east-1.sqs
      VpcEndpointType: Interface
      SubnetIds: [subnet-a, subnet-b, subnet-c]
  Broker:
    Type: AWS::AmazonMQ::Broker
    Properties:
      BrokerName: b
      EngineType: RabbitMQ
      EngineVersion: "3.11.20"
      HostInstanceType: mq.m5.large
      DeploymentMode: SINGLE_INSTANCE
      PubliclyAccessible: false
      Users: []
  Sftp:
    Type: AWS::Transfer::Server
    Properties:
      Protocols: [SFTP]
"""
    res = by_address(cost_report(tmp_path, {"template.yaml": template}))
    # interface endpoint $0.01 per subnet-hour; mq.m5.large $0.288/hour; a protocol $0.30/hour
    assert near(res["Endpoint"]["monthly_cost"], 3 * HOURS * 0.01)
    assert near(res["Broker"]["monthly_cost"], HOURS * 0.288)
    assert near(res["Sftp"]["monthly_cost"], HOURS * 0.30)


FIXED_TF = """
provider "aws" {
  region = "us-east-1"
}

resource "aws_fsx_windows_file_system" "multi" {
  storage_capacity    = 300
  subnet_ids          = ["subnet-a", "subnet-b"]
  throughput_capacity = 1024
  deployment_type     = "MULTI_AZ_1"
  storage_type        = "HDD"
}

resource "aws_fsx_windows_file_system" "single" {
  storage_capacity    = 32
  subnet_ids          = ["subnet-a"]
  throughput_capacity = 8
}

resource "aws_fsx_openzfs_file_system" "zfs" {
  storage_capacity    = 300
  subnet_ids          = ["subnet-a"]
  throughput_capacity = 1024
  deployment_type     = "SINGLE_AZ_1"
  disk_iops_configuration {
    mode = "USER_PROVISIONED"
    iops = 1000
  }
  root_volume_configuration {
    data_compression_type = "LZ4"
  }
}

resource "aws_fsx_lustre_file_system" "scratch" {
  storage_capacity = 1200
  subnet_ids       = ["subnet-a"]
}

resource "aws_fsx_lustre_file_system" "persistent" {
  storage_capacity            = 2400
  subnet_ids                  = ["subnet-a"]
  deployment_type             = "PERSISTENT_2"
  per_unit_storage_throughput = 250
}

resource "aws_api_gateway_stage" "cached" {
  rest_api_id           = "api"
  stage_name            = "prod"
  deployment_id         = "d"
  cache_cluster_enabled = true
  cache_cluster_size    = "6.1"
}

resource "aws_api_gateway_stage" "plain" {
  rest_api_id   = "api"
  stage_name    = "dev"
  deployment_id = "d"
}

resource "aws_ec2_host" "c5" {
  instance_type     = "c5.18xlarge"
  availability_zone = "us-east-1a"
}

resource "aws_ec2_host" "r6i" {
  instance_family   = "r6i"
  availability_zone = "us-east-1a"
}

resource "aws_mwaa_environment" "airflow" {
  name               = "airflow"
  environment_class  = "mw1.medium"
  min_workers        = 3
  schedulers         = 3
  dag_s3_path        = "dags/"
  execution_role_arn = "arn:aws:iam::123456789012:role/r"
  source_bucket_arn  = "arn:aws:s3:::bucket"
  network_configuration {
    security_group_ids = ["sg-1"]
    subnet_ids         = ["subnet-a", "subnet-b"]
  }
}

resource "aws_acmpca_certificate_authority" "ca" {
  certificate_authority_configuration {
    key_algorithm     = "RSA_4096"
    signing_algorithm = "SHA512WITHRSA"
    subject {
      common_name = "example.com"
    }
  }
}

resource "aws_dx_connection" "dx" {
  name      = "dx"
  bandwidth = "10Gbps"
  location  = "EqDC2"
}

resource "aws_dx_gateway_association" "tgw" {
  dx_gateway_id         = "dx-1"
  associated_gateway_id = "tgw-123456"
}

resource "aws_ec2_client_vpn_network_association" "assoc" {
  client_vpn_endpoint_id = "cvpn-1"
  subnet_id              = "subnet-a"
}

resource "aws_globalaccelerator_accelerator" "ga" {
  name = "ga"
}

resource "aws_wafv2_web_acl" "acl" {
  name  = "acl"
  scope = "REGIONAL"
  default_action {
    allow {}
  }
  rule {
    name     = "one"
    priority = 1
  }
  rule {
    name     = "two"
    priority = 2
  }
  visibility_config {
    cloudwatch_metrics_enabled = false
    metric_name                = "acl"
    sampled_requests_enabled   = false
  }
}

resource "aws_route53_health_check" "https" {
  fqdn              = "example.com"
  type              = "HTTPS_STR_MATCH"
  request_interval  = 10
  measure_latency   = true
  failure_threshold = 3
}

resource "aws_kinesis_stream" "provisioned" {
  name        = "s"
  shard_count = 4
}

resource "aws_kinesis_stream" "on_demand" {
  name = "o"
  stream_mode_details {
    stream_mode = "ON_DEMAND"
  }
}

resource "aws_kinesis_firehose_delivery_stream" "to_search" {
  name        = "f"
  destination = "elasticsearch"
  elasticsearch_configuration {
    domain_arn = "arn:aws:es:us-east-1:123456789012:domain/d"
    role_arn   = "arn:aws:iam::123456789012:role/r"
    index_name = "i"
    vpc_config {
      subnet_ids         = ["subnet-a", "subnet-b", "subnet-c"]
      security_group_ids = ["sg-1"]
      role_arn           = "arn:aws:iam::123456789012:role/r"
    }
  }
}
"""


def test_fixed_charges_of_more_services(tmp_path: Path) -> None:
    res = by_address(cost_report(tmp_path, {"main.tf": FIXED_TF}))

    # FSx for Windows File Server page, us-east-1. Multi-AZ: HDD $0.025/GB-month, throughput
    # $4.50/MBps-month. Single-AZ (the default deployment), SSD (the default storage): $0.13, $2.30.
    assert near(res["aws_fsx_windows_file_system.multi"]["monthly_cost"], 300 * 0.025 + 1024 * 4.50)
    assert near(res["aws_fsx_windows_file_system.single"]["monthly_cost"], 32 * 0.13 + 8 * 2.30)
    backup = component(res["aws_fsx_windows_file_system.multi"], "Backup storage")
    assert backup["quantity"] is None and backup["unit_price"] == 0.05  # depends on usage

    # FSx for OpenZFS Single-AZ 1: SSD $0.09/GB-month, throughput $0.26/MBps-month, SSD IOPS
    # $0.006/IOPS-month above the 3 per GB included (1000 - 900 = 100). Compression does not lower
    # the bill: the 300 GB provisioned are billed.
    zfs = res["aws_fsx_openzfs_file_system.zfs"]
    assert near(zfs["monthly_cost"], 300 * 0.09 + 1024 * 0.26 + 100 * 0.006)

    # FSx for Lustre: scratch $0.14/GB-month; Persistent 2 at 250 MB/s/TiB $0.21/GB-month
    assert near(res["aws_fsx_lustre_file_system.scratch"]["monthly_cost"], 1200 * 0.14)
    assert near(res["aws_fsx_lustre_file_system.persistent"]["monthly_cost"], 2400 * 0.21)

    # API Gateway: a 6.1 GB cache $0.20/hour; a stage without cache is free
    assert near(res["aws_api_gateway_stage.cached"]["monthly_cost"], HOURS * 0.20)
    assert res["aws_api_gateway_stage.plain"]["monthly_cost"] == 0
    assert res["aws_api_gateway_stage.plain"]["components"] == []

    # Dedicated host c5 $3.366/hour; a family the catalog lacks is counted with an unknown price
    assert near(res["aws_ec2_host.c5"]["monthly_cost"], HOURS * 3.366)
    r6i = component(res["aws_ec2_host.r6i"], "Dedicated host")
    assert r6i["quantity"] == HOURS and r6i["unit_price"] is None
    assert res["aws_ec2_host.r6i"]["monthly_cost"] is None

    # MWAA medium: environment $0.74/hour (two schedulers and one worker included), two more
    # workers and one more scheduler at $0.11/hour each
    assert near(res["aws_mwaa_environment.airflow"]["monthly_cost"], HOURS * (0.74 + 2 * 0.11 + 0.11))

    # Private CA (general purpose) $400/month; certificates depend on usage
    assert near(res["aws_acmpca_certificate_authority.ca"]["monthly_cost"], 400.0)

    # Direct Connect 10 Gbps port $2.25/hour; a DX gateway associated with a transit gateway is a
    # transit gateway attachment ($0.05/hour); a Client VPN association $0.10/hour
    assert near(res["aws_dx_connection.dx"]["monthly_cost"], HOURS * 2.25)
    assert near(res["aws_dx_gateway_association.tgw"]["monthly_cost"], HOURS * 0.05)
    assert near(res["aws_ec2_client_vpn_network_association.assoc"]["monthly_cost"], HOURS * 0.10)

    # Global Accelerator fixed fee $0.025/hour
    assert near(res["aws_globalaccelerator_accelerator.ga"]["monthly_cost"], HOURS * 0.025)

    # WAF: $5 per web ACL and $1 per rule a month
    assert near(res["aws_wafv2_web_acl.acl"]["monthly_cost"], 5.0 + 2 * 1.0)

    # Route 53 health check to an AWS endpoint $0.50/month, plus three optional features
    # (HTTPS, string matching, fast interval) ... and latency measurement: four at $1.00
    assert near(res["aws_route53_health_check.https"]["monthly_cost"], 0.50 + 4 * 1.00)

    # Kinesis Data Streams: a shard $0.015/hour; an on-demand stream $0.04/hour
    assert near(res["aws_kinesis_stream.provisioned"]["monthly_cost"], 4 * HOURS * 0.015)
    assert near(res["aws_kinesis_stream.on_demand"]["monthly_cost"], HOURS * 0.04)

    # Firehose into a VPC: $0.01 per availability-zone hour (three subnets); data is usage
    firehose = res["aws_kinesis_firehose_delivery_stream.to_search"]
    assert near(firehose["monthly_cost"], 3 * HOURS * 0.01)
    ingested = component(firehose, "Data ingested")
    assert ingested["quantity"] is None and ingested["unit_price"] == 0.029


USAGE_TF = """
provider "aws" {
  region = "us-east-1"
}

resource "aws_sqs_queue" "jobs" {
  name = "jobs"
}

resource "aws_sns_topic" "alerts" {
  name = "alerts"
}

resource "aws_efs_file_system" "shared" {
  throughput_mode                 = "provisioned"
  provisioned_throughput_in_mibps = 10
}

resource "aws_ssm_parameter" "advanced" {
  name  = "p"
  type  = "String"
  value = "v"
  tier  = "Advanced"
}

resource "aws_ssm_parameter" "standard" {
  name  = "s"
  type  = "String"
  value = "v"
}

resource "aws_route53_record" "www" {
  zone_id = "Z1"
  name    = "www"
  type    = "A"
  ttl     = 300
  records = ["10.0.0.1"]
}

resource "aws_s3_object" "file" {
  bucket = "b"
  key    = "k"
}

resource "aws_cloudwatch_event_rule" "nightly" {
  schedule_expression = "rate(1 day)"
}

resource "aws_ebs_volume" "unknown_size" {
  availability_zone = "us-east-1a"
  size              = var.size
  type              = "gp3"
}

variable "size" {}
"""


def test_usage_priced_services_and_known_free_types(tmp_path: Path) -> None:
    usage = '[usage]\n"aws_sqs_queue.jobs" = { monthly_requests = 30_000_000 }\n'
    report = cost_report(tmp_path, {"main.tf": USAGE_TF, ".advisor.toml": usage})
    res = by_address(report)
    # SQS standard queue: $0.40 per million requests, 30M configured
    assert near(res["aws_sqs_queue.jobs"]["monthly_cost"], 30 * 0.40)
    # SNS API requests $0.50 per million: no usage configured, so "depends on usage", not unknown
    sns = component(res["aws_sns_topic.alerts"], "API requests")
    assert sns["quantity"] is None and sns["unit_price"] == 0.50
    assert res["aws_sns_topic.alerts"]["monthly_cost"] == 0
    # EFS provisioned throughput $6.00 per MiB/s-month (storage is usage)
    assert near(res["aws_efs_file_system.shared"]["monthly_cost"], 10 * 6.00)
    # SSM: an advanced parameter $0.05/month; standard parameters are free
    assert near(res["aws_ssm_parameter.advanced"]["monthly_cost"], 0.05)
    assert res["aws_ssm_parameter.standard"]["components"] == []
    # Route 53 standard queries $0.40 per million (usage)
    queries = component(res["aws_route53_record.www"], "Standard queries")
    assert queries["unit_price"] == 0.40 and queries["quantity"] is None
    # objects and event rules cost nothing by themselves: known free, not "not priced"
    for free in ("aws_s3_object.file", "aws_cloudwatch_event_rule.nightly"):
        assert res[free]["components"] == [] and res[free]["monthly_cost"] == 0
    assert report["not_priced"] == []
    # a size that cannot be known makes the cost unknown, never $0
    assert res["aws_ebs_volume.unknown_size"]["monthly_cost"] is None


def test_cloudformation_free_and_usage_types(tmp_path: Path) -> None:
    template = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: g
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
  Files:
    Type: AWS::FSx::FileSystem
    Properties:
      FileSystemType: LUSTRE
      StorageCapacity: 1200
      SubnetIds: [subnet-a]
  Cache:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: api
      CacheClusterEnabled: true
      CacheClusterSize: "0.5"
  Stream:
    Type: AWS::Kinesis::Stream
    Properties:
      ShardCount: 2
  Seed:
    Type: Custom::SeedData
    Properties:
      ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:seed
"""
    report = cost_report(tmp_path, {"template.yaml": template})
    res = by_address(report)
    # a custom resource costs nothing itself (the function it calls bills its invocations)
    for free in ("Role", "Group", "Handle", "Seed"):
        assert res[free]["components"] == [] and res[free]["monthly_cost"] == 0
    # FIFO queue requests $0.50 per million (usage)
    fifo = component(res["Queue"], "Requests (fifo)")
    assert fifo["unit_price"] == 0.50 and fifo["quantity"] is None
    # API Gateway 0.5 GB cache $0.02/hour; Kinesis shard $0.015/hour
    assert near(res["Cache"]["monthly_cost"], HOURS * 0.02)
    assert near(res["Stream"]["monthly_cost"], 2 * HOURS * 0.015)
    # FSx through CloudFormation: FileSystemType LUSTRE without LustreConfiguration is SCRATCH_1,
    # 1,200 GB × $0.14 per GB-month
    assert report["not_priced"] == []
    assert near(res["Files"]["monthly_cost"], 1200 * 0.14)


def test_dynamodb_global_table_replicas_bill_replicated_writes(tmp_path: Path) -> None:
    tf = """
provider "aws" {
  region = "us-east-1"
}

resource "aws_dynamodb_table" "global" {
  name           = "g"
  hash_key       = "id"
  read_capacity  = 30
  write_capacity = 20
  attribute {
    name = "id"
    type = "S"
  }
  replica {
    region_name = "us-east-2"
  }
  replica {
    region_name = "eu-west-1"
  }
}
"""
    table = by_address(cost_report(tmp_path, {"main.tf": tf}))["aws_dynamodb_table.global"]
    # provisioned WCU $0.00065/hour, RCU $0.00013/hour; each replica bills the 20 WCU again as
    # replicated write units at its region's WCU price (where the catalog has none: us-east-1's, said so)
    wcu, rcu = 20 * HOURS * 0.00065, 30 * HOURS * 0.00013
    assert near(table["monthly_cost"], wcu + rcu + 2 * wcu)
    far = component(table, "Replicated write capacity (eu-west-1)")
    assert far["quantity"] == 20 * HOURS and "us-east-1 price: none for eu-west-1" in far["note"]


def test_cloudformation_directory_capacity_reservation_and_default_instance(tmp_path: Path) -> None:
    template = """
Resources:
  Directory:
    Type: AWS::DirectoryService::MicrosoftAD
    Properties:
      Name: corp.example.com
      Password: "{{resolve:secretsmanager:p}}"
      Edition: Standard
      VpcSettings: {SubnetIds: [subnet-a, subnet-b], VpcId: vpc-1}
  Reserved:
    Type: AWS::EC2::CapacityReservation
    Properties:
      InstanceType: m5.large
      InstanceCount: 2
      InstancePlatform: Linux/UNIX
      AvailabilityZone: us-east-1a
  Server:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-1
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      S3BucketName: logs
"""
    res = by_address(cost_report(tmp_path, {"template.yaml": template}))
    # Managed Microsoft AD Standard: two domain controllers at $0.06/hour
    assert near(res["Directory"]["monthly_cost"], 2 * HOURS * 0.06)
    # a capacity reservation bills the on-demand rate: m5.large $0.096/hour, two instances
    assert near(res["Reserved"]["monthly_cost"], 2 * HOURS * 0.096)
    # no InstanceType: CloudFormation launches m1.small ($0.044/hour)
    assert near(component(res["Server"], "Instance usage")["monthly_cost"], HOURS * 0.044)
    # CloudTrail: the first copy of management events is free; data events $0.10 per 100k (usage)
    data_events = component(res["Trail"], "Data events")
    assert data_events["quantity"] is None and data_events["unit_price"] == 0.10
    assert res["Trail"]["monthly_cost"] == 0


def test_required_tags_are_not_asked_of_types_that_cannot_carry_tags(tmp_path: Path) -> None:
    # Route 53 records, Client VPN associations and CloudWatch dashboards now have bill lines, but AWS
    # has no tags for them: the tags-missing rule must not ask for any. An SQS queue can be tagged.
    project = tmp_path / "project"
    project.mkdir()
    (project / ".advisor.toml").write_text('[tags]\nrequired = ["team"]\n')
    (project / "main.tf").write_text(
        """
resource "aws_route53_record" "www" {
  zone_id = "Z1"
  name    = "www"
  type    = "A"
  ttl     = 300
  records = ["10.0.0.1"]
}

resource "aws_ec2_client_vpn_network_association" "assoc" {
  client_vpn_endpoint_id = "cvpn-1"
  subnet_id              = "subnet-a"
}

resource "aws_cloudwatch_dashboard" "main" {
  dashboard_name = "main"
  dashboard_body = "{}"
}

resource "aws_sqs_queue" "jobs" {
  name = "jobs"
}
"""
    )
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = run_cli("lint", "--format", "json", "--fail-on", "never", ".", cwd=project, env=env)
    assert proc.returncode == 0, proc.stderr
    flagged = {f["resource"] for f in json.loads(proc.stdout)["findings"] if f["rule"] == "tags-missing"}
    assert flagged == {"aws_sqs_queue.jobs"}


def test_detailed_monitoring_and_s3_request_metrics(tmp_path: Path) -> None:
    tf = """
provider "aws" {
  region = "us-east-1"
}

resource "aws_instance" "watched" {
  ami           = "ami-1"
  instance_type = "m5.large"
  monitoring    = true
}

resource "aws_s3_bucket_metric" "all" {
  bucket = "b"
  name   = "EntireBucket"
}
"""
    res = by_address(cost_report(tmp_path, {"main.tf": tf}))
    # m5.large $0.096/hour, the 8 GB gp2 root volume $0.10/GB-month, and detailed monitoring: seven
    # metrics at the CloudWatch custom-metric price of $0.30 a month
    assert near(res["aws_instance.watched"]["monthly_cost"], HOURS * 0.096 + 8 * 0.10 + 7 * 0.30)
    metrics = component(res["aws_s3_bucket_metric.all"], "Request metrics")
    assert metrics["unit_price"] == 0.30 and metrics["quantity"] is None  # published only with requests


def test_elastic_beanstalk_environment_is_priced_through_what_it_launches(tmp_path: Path) -> None:
    tf = """
resource "aws_elastic_beanstalk_environment" "web" {
  name                = "web"
  application         = "app"
  solution_stack_name = "64bit Amazon Linux 2023 running Docker"
  setting {
    namespace = "aws:ec2:instances"
    name      = "InstanceTypes"
    value     = "t3.small,t3.medium"
  }
  setting {
    namespace = "aws:autoscaling:asg"
    name      = "MinSize"
    value     = 2
  }
  setting {
    namespace = "aws:elasticbeanstalk:environment"
    name      = "LoadBalancerType"
    value     = "application"
  }
  setting {
    namespace = "aws:rds:dbinstance"
    name      = "DBInstanceClass"
    value     = "db.t3.micro"
  }
}

resource "aws_elastic_beanstalk_environment" "single" {
  name        = "single"
  application = "app"
  setting {
    namespace = "aws:elasticbeanstalk:environment"
    name      = "EnvironmentType"
    value     = "SingleInstance"
  }
  setting {
    namespace = "aws:autoscaling:launchconfiguration"
    name      = "InstanceType"
    value     = "t3.small"
  }
}

resource "aws_elastic_beanstalk_environment" "bare" {
  name        = "bare"
  application = "app"
}
"""
    found = by_address(cost_report(tmp_path, {"main.tf": tf}))
    web = found["aws_elastic_beanstalk_environment.web"]
    # two t3.small (the first of InstanceTypes): 2 × 730 × 0.0208 (prices_ec2.csv) = 30.368; their
    # 8 GB gp2 root volumes 2 × 8 × 0.10 (unit_prices.csv ebs.gp2.storage) = 1.60; an application load
    # balancer 730 × 0.0225 (elb.alb.hour) = 16.425; a MySQL db.t3.micro (the namespace's default engine)
    # 730 × 0.017 (prices_rds.csv) = 12.41 with 20 GB gp2 × 0.115 (rds.storage.gp2.single-az) = 2.30
    assert component(web, "Instances: Instance usage")["quantity"] == 2 * HOURS
    assert near(web["monthly_cost"], 30.368 + 1.60 + 16.425 + 12.41 + 2.30)
    # a single-instance environment has no load balancer: 730 × 0.0208 + 8 × 0.10 = 15.984
    single = found["aws_elastic_beanstalk_environment.single"]
    assert near(single["monthly_cost"], 15.984)
    assert not [c for c in single["components"] if c["name"].startswith("Load balancer")]
    # no instance type setting: the instances are unknown, never $0
    assert found["aws_elastic_beanstalk_environment.bare"]["monthly_cost"] is None
