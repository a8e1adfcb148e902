"""Estimators against figures from infracost's AWS golden outputs, plus bad-input behaviour.

Each golden case rebuilds, from the test and component names, the inputs the golden resource had
(instance type, sizes, IOPS, usage) and expects the same monthly figure to the cent. The expected
numbers are written here, with the golden test/resource/component they come from, so the suite needs
nothing outside the repository.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from advisor.model import Block, Resource, Span, Value
from advisor.pricing.catalog import Catalog
from advisor.pricing.costs import CostComponent, ResourceCost
from advisor.pricing.estimators import estimate, monthly_total, supports

SPAN = Span("main.tf", 0, 0, 0, 0)


def block(kind: str, attrs: dict[str, Any] | None = None, blocks: list[Block] | None = None) -> Block:
    values = {k: v if isinstance(v, Value) else Value(v, "literal") for k, v in (attrs or {}).items()}
    return Block(kind, SPAN, attributes=values, blocks=blocks or [])


def resource(
    rtype: str,
    attrs: dict[str, Any] | None = None,
    blocks: list[Block] | None = None,
    *,
    region: str = "us-east-1",
    name: str = "this",
) -> Resource:
    return Resource(rtype, f"{rtype}.{name}", block("resource", attrs, blocks), "main.tf", region=region)


@pytest.fixture(scope="module")
def catalog() -> Iterator[Catalog]:
    cat = Catalog.shipped()
    yield cat
    cat.close()


def cost(catalog: Catalog, res: Resource, usage: dict[str, Any] | None = None) -> ResourceCost:
    result = estimate(res, catalog, usage)
    assert result is not None
    return result


def line(rc: ResourceCost, starts: str) -> CostComponent:
    found = [c for c in rc.components if c.name.startswith(starts)]
    assert len(found) == 1, (starts, [c.name for c in rc.components])
    return found[0]


def cents(actual: float | None, golden: float) -> bool:
    """Equal to the cent: the golden figure is the exact cost rounded to cents."""
    return actual is not None and abs(actual - golden) <= 0.005 + 1e-9


# -- EBS (golden ebs_volume_test, us-east-1) --------------------------------------------------------


@pytest.mark.parametrize(
    ("attrs", "usage", "expected"),
    [
        # aws_ebs_volume.gp2: "Storage (general purpose SSD, gp2)" 10 GB
        ({"type": "gp2", "size": 10}, None, {"Storage (gp2)": 1.00}),
        # aws_ebs_volume.gp3: 40 GB, "Provisioned IOPS" 1000 (= 4000 - 3000), "Provisioned throughput" 5
        (
            {"type": "gp3", "size": 40, "iops": 4000, "throughput": 130},
            None,
            {"Storage (gp3)": 3.20, "Provisioned IOPS": 5.00, "Provisioned throughput": 0.20},
        ),
        # aws_ebs_volume.io1 / io2: 30 GB with 300 IOPS
        ({"type": "io1", "size": 30, "iops": 300}, None, {"Storage (io1)": 3.75, "Provisioned IOPS": 19.50}),
        ({"type": "io2", "size": 30, "iops": 300}, None, {"Storage (io2)": 3.75, "Provisioned IOPS": 19.50}),
        # aws_ebs_volume.st1 40 GB, aws_ebs_volume.sc1 50 GB
        ({"type": "st1", "size": 40}, None, {"Storage (st1)": 1.80}),
        ({"type": "sc1", "size": 50}, None, {"Storage (sc1)": 0.75}),
        # aws_ebs_volume.standard_withUsage: 20 GB, 1M I/O requests
        (
            {"type": "standard", "size": 20},
            {"monthly_standard_io_requests": 1_000_000},
            {"Storage (standard)": 1.00, "I/O requests": 0.05},
        ),
    ],
)
def test_ebs_volume_golden(
    catalog: Catalog, attrs: dict[str, Any], usage: dict[str, Any] | None, expected: dict[str, float]
) -> None:
    rc = cost(catalog, resource("aws_ebs_volume", attrs), usage)
    for name, golden in expected.items():
        assert cents(line(rc, name).monthly_cost, golden), name
    assert cents(rc.monthly_cost, sum(expected.values()))


def test_ebs_standard_without_usage_depends_on_usage(catalog: Catalog) -> None:
    # golden aws_ebs_volume.standard: "I/O requests" has no quantity, $0.05 per 1M requests
    rc = cost(catalog, resource("aws_ebs_volume", {"type": "standard", "size": 20}))
    io = line(rc, "I/O requests")
    assert io.quantity is None and io.unit_price == 0.05 and io.usage_based
    assert cents(rc.monthly_cost, 1.00)


def test_io2_tiers(catalog: Catalog) -> None:
    rc = cost(catalog, resource("aws_ebs_volume", {"type": "io2", "size": 2000, "iops": 80000}))
    tiers = [c for c in rc.components if c.name.startswith("Provisioned IOPS")]
    assert [c.quantity for c in tiers] == [32000, 32000, 16000]
    assert [c.unit_price for c in tiers] == [0.065, 0.0455, 0.03185]


def test_ebs_volume_eu_west_1(catalog: Catalog) -> None:
    # golden elastic_beanstalk_environment_test [eu-west-1] "aws_ebs_volume / Storage (provisioned IOPS SSD,
    # io1)" 32 GB = 4.42 and "Provisioned IOPS" 1200 = 86.40
    rc = cost(
        catalog, resource("aws_ebs_volume", {"type": "io1", "size": 32, "iops": 1200}, region="eu-west-1")
    )
    assert cents(line(rc, "Storage (io1)").monthly_cost, 4.42)
    assert cents(line(rc, "Provisioned IOPS").monthly_cost, 86.40)
    assert not rc.estimate


# -- EC2 (golden instance_test, eip_test, autoscaling_group_test) -----------------------------------


def test_instance_with_block_devices(catalog: Catalog) -> None:
    # golden instance_test aws_instance.instance1
    res = resource(
        "aws_instance",
        {"instance_type": "m3.medium"},
        [
            block("root_block_device", {"volume_size": 10}),
            block("ebs_block_device", {"device_name": "xvdf", "volume_size": 10}),
            block("ebs_block_device", {"device_name": "xvdg", "volume_type": "standard", "volume_size": 20}),
            block("ebs_block_device", {"device_name": "xvdh", "volume_type": "sc1", "volume_size": 30}),
            block(
                "ebs_block_device",
                {"device_name": "xvdi", "volume_type": "io1", "volume_size": 40, "iops": 1000},
            ),
            block("ebs_block_device", {"device_name": "xvdj", "volume_type": "gp3", "volume_size": 20}),
        ],
    )
    rc = cost(catalog, res)
    expected = {
        "Instance usage (Linux, on-demand, m3.medium)": 48.91,
        "root_block_device: Storage (gp2)": 1.00,
        "ebs_block_device[0]: Storage (gp2)": 1.00,
        "ebs_block_device[1]: Storage (standard)": 1.00,
        "ebs_block_device[2]: Storage (sc1)": 0.45,
        "ebs_block_device[3]: Storage (io1)": 5.00,
        "ebs_block_device[3]: Provisioned IOPS": 65.00,
        "ebs_block_device[4]: Storage (gp3)": 1.60,
    }
    for name, golden in expected.items():
        assert cents(line(rc, name).monthly_cost, golden), name
    assert line(rc, "ebs_block_device[1]: I/O requests").quantity is None
    assert "at least 125 GB" in line(rc, "ebs_block_device[2]").note  # sc1's minimum size
    assert cents(rc.monthly_cost, sum(expected.values()))


@pytest.mark.parametrize(
    ("instance_type", "usage", "golden_instance"),
    [
        ("t3.medium", None, 30.37),  # instance_test aws_instance.t3_default_cpuCredits
        ("t2.medium", None, 33.87),  # instance_test aws_instance.t2_default_cpuCredits
        ("r3.xlarge", None, 243.09),  # instance_test aws_instance.instance2_ebsOptimized
        ("m3.large", None, 97.09),  # instance_test aws_instance.instance1_ebsOptimized
        ("t3.large", None, 60.74),  # instance_test aws_instance.instance_withLaunchTemplateOverride
        ("t3.medium", {"monthly_hours": 100}, 4.16),  # instance_test aws_instance.instance_withMonthlyHours
        ("m3.large", {"monthly_hours": 100}, 13.30),  # instance_test ..._detailedMonitoring_withMonthlyHours
    ],
)
def test_instance_golden(
    catalog: Catalog, instance_type: str, usage: dict[str, Any] | None, golden_instance: float
) -> None:
    rc = cost(catalog, resource("aws_instance", {"instance_type": instance_type}), usage)
    assert cents(line(rc, "Instance usage").monthly_cost, golden_instance)
    root = line(rc, "root_block_device: Storage (gp2)")  # "root_block_device / Storage (gp2)" 8 GB = 0.80
    assert root.quantity == 8 and cents(root.monthly_cost, 0.80)
    assert "assumed" in root.note


def test_instance_eu_west_1(catalog: Catalog) -> None:
    # golden elastic_beanstalk_environment_test [eu-west-1]: t3.small 730 h = 16.64, gp2 8 GB = 0.88
    rc = cost(catalog, resource("aws_instance", {"instance_type": "t3.small"}, region="eu-west-1"))
    assert cents(line(rc, "Instance usage").monthly_cost, 16.64)
    assert cents(line(rc, "root_block_device").monthly_cost, 0.88)
    assert not rc.estimate


def test_launch_configuration(catalog: Catalog) -> None:
    # golden autoscaling_group_test asg_lc_min_size_zero: one instance of aws_launch_configuration.lc_basic
    res = resource(
        "aws_launch_configuration",
        {"instance_type": "t2.medium"},
        [
            block("root_block_device", {"volume_size": 10}),
            block("ebs_block_device", {"device_name": "xvdf", "volume_size": 10}),
            block("ebs_block_device", {"device_name": "xvdg", "volume_size": 10, "volume_type": "gp3"}),
        ],
    )
    rc = cost(catalog, res)
    assert cents(line(rc, "Instance usage").monthly_cost, 33.87)
    assert cents(line(rc, "root_block_device").monthly_cost, 1.00)
    assert cents(line(rc, "ebs_block_device[0]").monthly_cost, 1.00)
    assert cents(line(rc, "ebs_block_device[1]").monthly_cost, 0.80)


def test_launch_template(catalog: Catalog) -> None:
    # golden autoscaling_group_test asg_lt_min_size_zero: one instance of aws_launch_template.lt_basic
    res = resource(
        "aws_launch_template",
        {"instance_type": "t2.medium"},
        [
            block("block_device_mappings", {"device_name": "/dev/sda1"}, [block("ebs", {"volume_size": 10})]),
            block(
                "block_device_mappings",
                {"device_name": "/dev/sdf"},
                [block("ebs", {"volume_size": 20, "volume_type": "io1", "iops": 200})],
            ),
        ],
    )
    rc = cost(catalog, res)
    assert cents(line(rc, "Instance usage").monthly_cost, 33.87)
    assert cents(line(rc, "block_device_mappings[0]: Storage (gp2)").monthly_cost, 1.00)
    assert cents(line(rc, "block_device_mappings[1]: Storage (io1)").monthly_cost, 2.50)
    assert cents(line(rc, "block_device_mappings[1]: Provisioned IOPS").monthly_cost, 13.00)
    assert rc.notes


def test_autoscaling_group(catalog: Catalog) -> None:
    # golden autoscaling_group_test asg_lt_basic: t2.medium 1460 h = 67.74 (2 instances)
    hint = {"desired_capacity": 2, "min_size": 1, "max_size": 3, "_launch_instance_type": "t2.medium"}
    rc = cost(catalog, resource("aws_autoscaling_group", hint))
    assert line(rc, "Instance usage").quantity == 1460
    assert cents(line(rc, "Instance usage").monthly_cost, 67.74)
    # asg_lt_usage: usage instances = 6 -> 4380 h = 203.23
    rc = cost(catalog, resource("aws_autoscaling_group", hint), {"instances": 6})
    assert cents(line(rc, "Instance usage").monthly_cost, 203.23)
    # min_size when desired_capacity is absent (asg_lt_min_size: 1460 h)
    rc = cost(
        catalog, resource("aws_autoscaling_group", {"min_size": 2, "_launch_instance_type": "t2.medium"})
    )
    assert cents(rc.monthly_cost, 67.74)


def test_autoscaling_group_without_launch_type_is_unknown(catalog: Catalog) -> None:
    rc = cost(catalog, resource("aws_autoscaling_group", {"desired_capacity": 2, "min_size": 1}))
    assert rc.monthly_cost is None
    assert "launch template" in rc.components[0].note


# -- network (golden nat_gateway_test, eip_test, lb_test, elb_test) ----------------------------------


def test_nat_gateway(catalog: Catalog) -> None:
    rc = cost(catalog, resource("aws_nat_gateway"))
    assert cents(line(rc, "NAT gateway").monthly_cost, 32.85)  # aws_nat_gateway.nat
    assert line(rc, "Data processed").quantity is None
    rc = cost(catalog, resource("aws_nat_gateway"), {"monthly_data_processed_gb": 100})
    assert cents(line(rc, "Data processed").monthly_cost, 4.50)  # aws_nat_gateway.nat_withUsage
    assert cents(rc.monthly_cost, 37.35)


def test_eip(catalog: Catalog) -> None:
    rc = cost(catalog, resource("aws_eip", {"domain": "vpc"}))
    assert cents(rc.monthly_cost, 3.65)  # eip_test aws_eip.eip1 "IP address" 730 h


@pytest.mark.parametrize(
    ("rtype", "attrs", "usage", "hourly", "lcu"),
    [
        ("aws_lb", {}, None, 16.43, None),  # lb_test aws_lb.lb1
        ("aws_alb", {}, None, 16.43, None),  # lb_test aws_alb.alb1
        ("aws_lb", {"load_balancer_type": "network"}, None, 16.43, None),  # lb_test aws_lb.nlb1
        ("aws_lb", {}, {"monthly_data_processed_gb": 1000}, 16.43, 8.00),  # lb_test aws_lb.alb1_usage
        ("aws_lb", {"load_balancer_type": "network"}, {"monthly_data_processed_gb": 1000}, 16.43, 6.00),
    ],
)
def test_load_balancers(
    catalog: Catalog,
    rtype: str,
    attrs: dict[str, Any],
    usage: dict[str, Any] | None,
    hourly: float,
    lcu: float | None,
) -> None:
    rc = cost(catalog, resource(rtype, attrs), usage)
    assert cents(
        line(rc, "Application" if "network" not in attrs.values() else "Network").monthly_cost, hourly
    )
    capacity = line(rc, "Load balancer capacity units")
    if lcu is None:
        assert capacity.quantity is None and capacity.unit_price is not None
    else:
        assert cents(capacity.monthly_cost, lcu)


def test_classic_elb(catalog: Catalog) -> None:
    rc = cost(catalog, resource("aws_elb"), {"monthly_data_processed_gb": 10000})
    assert cents(line(rc, "Classic load balancer").monthly_cost, 18.25)  # elb_test aws_elb.my_elb
    assert cents(line(rc, "Data processed").monthly_cost, 80.00)


# -- EKS (golden eks_cluster_test, eks_node_group_test) ---------------------------------------------


def test_eks_cluster(catalog: Catalog) -> None:
    rc = cost(catalog, resource("aws_eks_cluster", {"name": "demo"}))
    assert cents(rc.monthly_cost, 73.00)  # aws_eks_cluster.my_aws_eks_cluster


@pytest.mark.parametrize(
    ("attrs", "desired", "usage", "golden_instances", "golden_disk"),
    [
        ({}, 1, None, 30.37, 2.00),  # aws_eks_node_group.example
        ({"instance_types": ["t2.medium"], "disk_size": 30}, 1, None, 33.87, 3.00),  # .example2
        ({}, 3, None, 91.10, 6.00),  # .example_defaultCpuCredits
        ({}, 1, {"instances": 6}, 182.21, 12.00),  # .usage
    ],
)
def test_eks_node_group(
    catalog: Catalog,
    attrs: dict[str, Any],
    desired: int,
    usage: dict[str, Any] | None,
    golden_instances: float,
    golden_disk: float,
) -> None:
    scaling = block("scaling_config", {"desired_size": desired, "min_size": 1, "max_size": 10})
    rc = cost(catalog, resource("aws_eks_node_group", attrs, [scaling]), usage)
    assert cents(line(rc, "Instance usage").monthly_cost, golden_instances)
    assert cents(line(rc, "Node disks").monthly_cost, golden_disk)


# -- Lambda (golden lambda_function_test) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("memory", "arch", "requests", "duration_ms", "golden_requests", "golden_duration"),
    [
        (None, None, 100_000, 350, 0.02, [0.07]),  # .lambda_withUsage
        (512, None, 100_000, 350, 0.02, [0.29]),  # .lambda_withUsage512Mem
        (None, "arm64", 100_000, 350, 0.02, [0.06]),  # .lambda_withUsage_arm
        (512, "arm64", 100_000, 350, 0.02, [0.23]),  # .lambda_withUsage512Mem_arm
        (512, None, 6_000_000_000, 1024, 1200.00, [51200.10]),  # .lambda_duration_6B
        (1024, None, 9_000_000_000, 1024, 1800.00, [100000.20, 48240.00]),  # .lambda_duration_9B
        (2048, None, 15_000_000_000, 2048, 3000.00, [100000.20, 135000.00, 619203.10]),  # ..._15B
        (512, "arm64", 7_500_000_000, 1024, 1500.00, [51200.26]),  # .lambda_duration_75B_arm
        (1024, "arm64", 11_250_000_000, 1024, 2250.00, [100000.50, 48240.40]),  # ..._11B_arm
        (2048, "arm64", 18_250_000_000, 2048, 3650.00, [100000.50, 135001.13, 597356.53]),  # ..._18B_arm
    ],
)
def test_lambda_golden(
    catalog: Catalog,
    memory: int | None,
    arch: str | None,
    requests: int,
    duration_ms: int,
    golden_requests: float,
    golden_duration: list[float],
) -> None:
    attrs: dict[str, Any] = {"function_name": "f", "runtime": "python3.12"}
    if memory:
        attrs["memory_size"] = memory
    if arch:
        attrs["architectures"] = [arch]
    rc = cost(
        catalog,
        resource("aws_lambda_function", attrs),
        {"monthly_requests": requests, "average_duration_ms": duration_ms},
    )
    assert cents(line(rc, "Requests").monthly_cost, golden_requests)
    durations = [c for c in rc.components if c.name.startswith("Duration")]
    assert len(durations) == len(golden_duration)
    for component, golden in zip(durations, golden_duration, strict=True):
        assert cents(component.monthly_cost, golden), component.name
    assert all(f"({arch or 'x86_64'}" in c.name for c in durations)


def test_lambda_without_usage(catalog: Catalog) -> None:
    # golden aws_lambda_function.lambda: $0.20 per 1M requests, $0.0000166667 per GB-second, no quantities
    rc = cost(catalog, resource("aws_lambda_function", {"function_name": "f"}))
    assert [c.quantity for c in rc.components] == [None, None]
    assert [c.unit_price for c in rc.components] == [0.2, 1.66667e-05]
    assert rc.monthly_cost == 0.0


# -- data stores (golden s3_bucket_test, dynamodb_table_test, cloudwatch_log_group_test) ---------------


def test_s3_bucket_usage(catalog: Catalog) -> None:
    usage = {  # golden s3_bucket_test aws_s3_bucket.bucket_withUsage (storage classes)
        "storage_gb": 10000,
        "standard_ia_storage_gb": 30000,
        "onezone_ia_storage_gb": 40000,
        "glacier_storage_gb": 50000,
        "deep_archive_storage_gb": 60000,
        "intelligent_tiering_storage_gb": 20000,
        "intelligent_tiering_infrequent_storage_gb": 20000,
        "intelligent_tiering_objects": 20000,
        "monthly_tier_2_requests": 10000,
    }
    rc = cost(catalog, resource("aws_s3_bucket", {"bucket": "b"}), usage)
    for name, golden in {
        "Standard storage": 230.00,
        "Standard-IA storage": 375.00,
        "One Zone-IA storage": 400.00,
        "Glacier Flexible Retrieval storage": 180.00,
        "Glacier Deep Archive storage": 59.40,
        "Intelligent-Tiering storage (frequent": 460.00,
        "Intelligent-Tiering storage (infrequent": 250.00,
        "Intelligent-Tiering monitoring": 0.05,
        "GET, SELECT": 0.00,
    }.items():
        assert cents(line(rc, name).monthly_cost, golden), name


def test_s3_standard_tiers(catalog: Catalog) -> None:
    rc = cost(catalog, resource("aws_s3_bucket"), {"storage_gb": 600 * 1024})
    tiers = [c for c in rc.components if c.name.startswith("Standard storage")]
    assert [c.quantity for c in tiers] == [51200, 460800, 102400]
    assert [c.unit_price for c in tiers] == [0.023, 0.022, 0.021]


def test_dynamodb_provisioned(catalog: Catalog) -> None:
    # golden dynamodb_table_test [us-east-2] aws_dynamodb_table.my_dynamodb_table:
    # 20 WCU = 9.49, 30 RCU = 2.85
    res = resource(
        "aws_dynamodb_table",
        {"read_capacity": 30, "write_capacity": 20, "hash_key": "id"},
        region="us-east-2",
    )
    rc = cost(catalog, res)
    assert cents(line(rc, "Write capacity").monthly_cost, 9.49)
    assert cents(line(rc, "Read capacity").monthly_cost, 2.85)
    assert rc.estimate  # us-east-2 is priced from us-east-1 (the same list price) and says so


def test_dynamodb_on_demand(catalog: Catalog) -> None:
    # golden dynamodb_table_test aws_dynamodb_table.my_dynamodb_table_usage
    res = resource(
        "aws_dynamodb_table",
        {"billing_mode": "PAY_PER_REQUEST", "hash_key": "id"},
        [block("point_in_time_recovery", {"enabled": True})],
        region="us-east-2",
    )
    usage = {
        "monthly_write_request_units": 3_000_000,
        "monthly_read_request_units": 8_000_000,
        "storage_gb": 230,
        "pitr_backup_storage_gb": 2300,
        "on_demand_backup_storage_gb": 460,
    }
    rc = cost(catalog, res, usage)
    for name, golden in {
        "Write request units": 1.88,
        "Read request units": 1.00,
        "Data storage": 57.50,
        "Point-in-time recovery": 460.00,
        "On-demand backup": 46.00,
    }.items():
        assert cents(line(rc, name).monthly_cost, golden), name


def test_cloudwatch_log_group(catalog: Catalog) -> None:
    # golden cloudwatch_log_group_test aws_cloudwatch_log_group.logs_withUsage
    usage = {"monthly_ingested_gb": 1000, "storage_gb": 500, "monthly_data_scanned_gb": 250}
    rc = cost(catalog, resource("aws_cloudwatch_log_group", {"name": "logs"}), usage)
    assert cents(line(rc, "Data ingested").monthly_cost, 500.00)
    assert cents(line(rc, "Storage").monthly_cost, 15.00)
    assert cents(line(rc, "Insights").monthly_cost, 1.25)
    no_usage = cost(catalog, resource("aws_cloudwatch_log_group", {"name": "logs"}))
    assert all(c.quantity is None for c in no_usage.components) and no_usage.monthly_cost == 0.0


# -- RDS (golden db_instance_test, rds_cluster_test, rds_cluster_instance_test) ------------------------


@pytest.mark.parametrize(
    ("attrs", "usage", "expected"),
    [
        # aws_db_instance.mysql: db.t3.large, 20 GB gp2, 1000 GB additional backup
        (
            {"engine": "mysql", "instance_class": "db.t3.large", "allocated_storage": 20},
            {"additional_backup_storage_gb": 1000},
            {"Database instance": 99.28, "Storage (gp2, Single-AZ)": 2.30, "Additional backup": 95.00},
        ),
        (
            {"engine": "postgres", "instance_class": "db.t3.large", "allocated_storage": 20},
            None,
            {"Database instance": 105.85, "Storage (gp2": 2.30},
        ),  # .postgres
        (
            {"engine": "mariadb", "instance_class": "db.t3.large", "allocated_storage": 20},
            None,
            {"Database instance": 99.28, "Storage (gp2": 2.30},
        ),  # .mariadb
        (
            {"engine": "mysql", "instance_class": "db.t3.large", "allocated_storage": 30, "multi_az": True},
            None,
            {"Database instance (mysql, Multi-AZ": 198.56, "Storage (gp2, Multi-AZ)": 6.90},
        ),  # .mysql-multi-az
        (
            {
                "engine": "mysql",
                "instance_class": "db.t3.large",
                "allocated_storage": 100,
                "storage_type": "io1",
                "iops": 1200,
            },
            None,
            {"Database instance": 99.28, "Storage (io1": 12.50, "Provisioned IOPS (io1)": 120.00},
        ),  # .mysql-iops
        (
            {
                "engine": "mysql",
                "instance_class": "db.t3.large",
                "allocated_storage": 40,
                "storage_type": "standard",
            },
            None,
            {"Storage (standard": 4.00},
        ),  # .mysql-magnetic
        (
            {"engine": "mysql", "instance_class": "db.m5.large", "allocated_storage": 20},
            None,
            {"Database instance": 124.83},
        ),  # .mysql-performance-insights
        # gp3["multi_az"]: db.t4g.small, 400 GB, 14000 IOPS (2000 above the 12000 baseline)
        (
            {
                "engine": "mysql",
                "instance_class": "db.t4g.small",
                "allocated_storage": 400,
                "storage_type": "gp3",
                "iops": 14000,
                "multi_az": True,
            },
            None,
            {"Database instance": 47.45, "Storage (gp3, Multi-AZ)": 92.00, "Provisioned IOPS (gp3": 80.00},
        ),
        # gp3["above_low_baseline"]: 20 GB, 4000 IOPS (1000 above the 3000 baseline)
        (
            {
                "engine": "mysql",
                "instance_class": "db.t4g.small",
                "allocated_storage": 20,
                "storage_type": "gp3",
                "iops": 4000,
            },
            None,
            {"Database instance": 23.36, "Storage (gp3": 2.30, "Provisioned IOPS (gp3": 20.00},
        ),
    ],
)
def test_db_instance_golden(
    catalog: Catalog, attrs: dict[str, Any], usage: dict[str, Any] | None, expected: dict[str, float]
) -> None:
    rc = cost(catalog, resource("aws_db_instance", attrs), usage)
    for name, golden in expected.items():
        assert cents(line(rc, name).monthly_cost, golden), name


def test_db_instance_eu_west_1(catalog: Catalog) -> None:
    # golden elastic_beanstalk_environment_test [eu-west-1] "aws_db_instance / Database instance
    # (on-demand, Multi-AZ, db.m6g.xlarge)" = 513.92 and gp2 100 GB Multi-AZ = 25.30
    attrs = {
        "engine": "postgres",
        "instance_class": "db.m6g.xlarge",
        "allocated_storage": 100,
        "multi_az": True,
    }
    rc = cost(catalog, resource("aws_db_instance", attrs, region="eu-west-1"))
    assert cents(line(rc, "Database instance").monthly_cost, 513.92)
    assert cents(line(rc, "Storage (gp2, Multi-AZ)").monthly_cost, 25.30)


@pytest.mark.parametrize(
    ("engine", "instance_class", "golden"),
    [
        ("aurora-mysql", "db.r4.large", 211.70),  # rds_cluster_instance_test .cluster_instance
        ("aurora-mysql", "db.t3.medium", 59.86),  # .cluster_instance_t3
        ("aurora-postgresql", "db.t3.large", 119.72),  # .extended_support["aurora-postgresql-13"]
        ("aurora-mysql", "db.r4.8xlarge", 3387.20),  # .cluster_instance_performance_insights
    ],
)
def test_aurora_cluster_instance(catalog: Catalog, engine: str, instance_class: str, golden: float) -> None:
    res = resource("aws_rds_cluster_instance", {"engine": engine, "instance_class": instance_class})
    assert cents(cost(catalog, res).monthly_cost, golden)


def test_aurora_serverless_v2(catalog: Catalog) -> None:
    # rds_cluster_instance_test .aurora_serverless_v2_with_usage: 3650 ACU-hours = 438.00
    res = resource(
        "aws_rds_cluster_instance", {"engine": "aurora-postgresql", "instance_class": "db.serverless"}
    )
    assert cents(cost(catalog, res, {"capacity_units_per_hour": 5}).monthly_cost, 438.00)


def test_aurora_serverless_cluster(catalog: Catalog) -> None:
    # rds_cluster_test aws_rds_cluster.postgres_serverlessWithBackup
    res = resource("aws_rds_cluster", {"engine": "aurora-postgresql", "engine_mode": "serverless"})
    usage = {
        "capacity_units_per_hour": 1000,
        "storage_gb": 100,
        "monthly_io_requests": 52_560_000,
        "backup_storage_gb": 400,
    }
    rc = cost(catalog, res, usage)
    for name, golden in {
        "Aurora Serverless v1": 43800.00,
        "Storage": 10.00,
        "I/O requests": 10.51,
        "Backup storage": 8.40,
    }.items():
        assert cents(line(rc, name).monthly_cost, golden), name


# -- ElastiCache (golden elasticache_cluster_test, elasticache_replication_group_test) -----------------


def test_elasticache_cluster(catalog: Catalog) -> None:
    redis = resource("aws_elasticache_cluster", {"engine": "redis", "node_type": "cache.m6g.12xlarge"})
    assert cents(cost(catalog, redis).monthly_cost, 2596.61)  # .redis
    memcached = resource(
        "aws_elasticache_cluster",
        {"engine": "memcached", "node_type": "cache.m4.large", "num_cache_nodes": 2},
    )
    assert cents(cost(catalog, memcached).monthly_cost, 227.76)  # .memcached
    snap = resource(
        "aws_elasticache_cluster",
        {"engine": "redis", "node_type": "cache.m6g.12xlarge", "snapshot_retention_limit": 2},
    )
    rc = cost(catalog, snap, {"snapshot_storage_size_gb": 10000})  # .redis_snapshot_usage
    assert cents(line(rc, "Backup storage").monthly_cost, 850.00)


def test_elasticache_replication_group(catalog: Catalog) -> None:
    non_cluster = resource(
        "aws_elasticache_replication_group",
        {"node_type": "cache.r5.4xlarge", "num_cache_clusters": 3, "description": "x"},
    )
    assert cents(cost(catalog, non_cluster).monthly_cost, 3775.56)  # .non-cluster
    cluster = resource(
        "aws_elasticache_replication_group",
        {"node_type": "cache.m4.large", "num_node_groups": 4, "replicas_per_node_group": 3},
    )
    rc = cost(catalog, cluster)
    assert line(rc, "Cache nodes").quantity == 11680 and cents(rc.monthly_cost, 1822.08)  # .cluster


# -- bad input and edge cases -----------------------------------------------------------------------


def test_unknown_instance_type_gets_a_suggestion(catalog: Catalog) -> None:
    rc = cost(catalog, resource("aws_instance", {"instance_type": "m5.lagre"}))
    usage = line(rc, "Instance usage")
    assert usage.unit_price is None and usage.monthly_cost is None
    assert usage.note == "unknown instance type 'm5.lagre' (did you mean m5.large?)"
    assert rc.monthly_cost is None  # unknown, not 0
    db = cost(
        catalog,
        resource(
            "aws_db_instance", {"engine": "mysql", "instance_class": "db.m5.lagre", "allocated_storage": 20}
        ),
    )
    assert "did you mean db.m5.large?" in line(db, "Database instance").note


def test_unresolved_instance_type(catalog: Catalog) -> None:
    unknown = Value(None, "unknown", reason="variable 'size' has no default and is not set")
    rc = cost(catalog, resource("aws_instance", {"instance_type": unknown}))
    usage = line(rc, "Instance usage")
    assert usage.unit_price is None and "variable 'size'" in usage.note
    assert rc.monthly_cost is None


@pytest.mark.parametrize(
    ("attrs", "fragment"),
    [
        ({"type": "gp3", "size": -5}, "below the minimum"),
        ({"type": "gp3", "size": 0}, "outside gp3's"),
        ({"type": "gp3", "size": 100000}, "outside gp3's"),
        ({"type": "gp3", "size": "lots"}, "not a number"),
        ({"type": "gp3", "size": Value(None, "unknown", reason="var.size is not known")}, "var.size"),
    ],
)
def test_bad_sizes_never_make_up_a_figure(catalog: Catalog, attrs: dict[str, Any], fragment: str) -> None:
    rc = cost(catalog, resource("aws_ebs_volume", attrs))
    storage = line(rc, "Storage")
    assert storage.quantity is None and fragment in storage.note


def test_bad_size_is_called_out_on_the_resource(catalog: Catalog) -> None:
    rc = cost(catalog, resource("aws_ebs_volume", {"type": "gp2", "size": -1}))
    assert any("storage not counted" in n for n in rc.notes)


def test_monthly_hours_are_capped_at_a_month(catalog: Catalog) -> None:
    rc = cost(catalog, resource("aws_instance", {"instance_type": "m5.large"}), {"monthly_hours": 744})
    usage = line(rc, "Instance usage")
    assert usage.quantity == 730 and "capped" in usage.note


def test_instance_from_launch_template(catalog: Catalog) -> None:
    res = resource("aws_instance", {}, [block("launch_template", {"name": "web"})])
    usage = line(cost(catalog, res), "Instance usage")
    assert usage.unit_price is None and "launch template" in usage.note


def test_unknown_volume_type(catalog: Catalog) -> None:
    rc = cost(catalog, resource("aws_ebs_volume", {"type": "gp9", "size": 10}))
    assert rc.components[0].unit_price is None and "gp9" in rc.components[0].note
    assert rc.monthly_cost is None


def test_iops_above_limits_are_noted(catalog: Catalog) -> None:
    rc = cost(catalog, resource("aws_ebs_volume", {"type": "gp3", "size": 10, "iops": 20000}))
    note = line(rc, "Provisioned IOPS").note
    assert "maximum of 16000" in note and "500 IOPS per GB" in note
    io1 = cost(catalog, resource("aws_ebs_volume", {"type": "io1", "size": 100, "iops": 80000}))
    assert "maximum of 64000" in line(io1, "Provisioned IOPS").note
    missing = cost(catalog, resource("aws_ebs_volume", {"type": "io1", "size": 100}))
    assert line(missing, "Provisioned IOPS").quantity is None


def test_negative_usage_is_refused(catalog: Catalog) -> None:
    rc = cost(catalog, resource("aws_nat_gateway"), {"monthly_data_processed_gb": -10})
    data = line(rc, "Data processed")
    assert data.quantity is None and "negative" in data.note


def test_unsupported_engine_and_regions(catalog: Catalog) -> None:
    oracle = cost(
        catalog,
        resource(
            "aws_db_instance",
            {"engine": "db2-se", "instance_class": "db.t3.large", "allocated_storage": 20},
        ),
    )
    assert line(oracle, "Database instance").unit_price is None  # Db2 is not in the snapshot
    china = cost(catalog, resource("aws_instance", {"instance_type": "m5.large"}, region="cn-north-1"))
    assert line(china, "Instance usage").unit_price is None and china.monthly_cost is None


def test_fallback_region_is_flagged(catalog: Catalog) -> None:
    rc = cost(catalog, resource("aws_nat_gateway", region="eu-west-1"))
    hours = line(rc, "NAT gateway")
    assert hours.estimate and "us-east-1 price" in hours.note and rc.estimate


def test_spot_node_group_is_not_priced_as_on_demand(catalog: Catalog) -> None:
    scaling = block("scaling_config", {"desired_size": 2})
    rc = cost(catalog, resource("aws_eks_node_group", {"capacity_type": "SPOT"}, [scaling]))
    assert line(rc, "Instance usage (spot)").unit_price is None


def test_types_without_estimator(catalog: Catalog) -> None:
    assert estimate(resource("aws_gamelift_fleet"), catalog) is None
    assert not supports("aws_gamelift_fleet") and supports("aws_instance") and supports("aws_iam_role")
    free = cost(catalog, resource("aws_iam_role", {"name": "r"}))
    assert free.components == [] and free.monthly_cost == 0.0


def test_monthly_total(catalog: Catalog) -> None:
    known = cost(catalog, resource("aws_eip"))
    unknown = cost(catalog, resource("aws_instance", {"instance_type": "m5.lagre"}))
    assert monthly_total([known, known, None]) == 7.30
    assert monthly_total([known, unknown]) == 3.65
    assert monthly_total([known, unknown], strict=True) is None


# -- what the memo key leaves out ------------------------------------------------------------------
def test_no_estimator_reads_an_attribute_the_memo_key_leaves_out(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`memo.NOT_PRICED` names are not in the estimators' code, nor read when pricing real files."""
    import ast
    from pathlib import Path

    import advisor.pricing.estimators as estimators
    from advisor.engine import Options, analyze_paths
    from advisor.pricing.memo import NOT_PRICED
    from conftest import EXAMPLES, REPO

    source = Path(estimators.__file__).read_text(encoding="utf-8")
    literals = {n.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Constant)}
    assert not NOT_PRICED & literals

    resources = analyze_paths([str(EXAMPLES), str(REPO / "tests")], Options(jobs=1)).resources
    assert len({r.type for r in resources}) >= 10
    read: set[str] = set()
    real_get, real_nested = Block.get, Block.nested

    def get(self: Block, name: str) -> Value | None:
        read.add(name)
        return real_get(self, name)

    def nested(self: Block, name: str) -> list[Block]:
        read.add(name)
        return real_nested(self, name)

    monkeypatch.setattr(Block, "get", get)
    monkeypatch.setattr(Block, "nested", nested)
    for r in resources:
        estimate(r, catalog, None)
    assert read and not NOT_PRICED & read


def test_resources_differing_in_names_and_tags_share_an_estimate(catalog: Catalog) -> None:
    from advisor.pricing.memo import estimate_cached, new_estimates

    def instance(name: str, size: int) -> Resource:
        root = block("root_block_device", {"volume_size": size})
        tags = {"Name": name, "team": "a"}
        attrs = {"instance_type": "m5.large", "tags": tags, "ami": f"ami-{name}", "key_name": name}
        return resource("aws_instance", attrs, [root], name=name)

    a, b, c = instance("a", 20), instance("b", 20), instance("c", 30)
    memo = new_estimates()
    first = estimate_cached(a, catalog, {}, memo, shared=True)
    assert estimate_cached(b, catalog, {}, memo, shared=True) is first  # one estimate for both
    assert estimate_cached(c, catalog, {}, memo, shared=True) is not first
    placed = estimate_cached(b, catalog, {}, memo)
    assert (
        placed is not None
        and placed.address == "aws_instance.b"
        and placed.components == cost(catalog, b).components
    )
