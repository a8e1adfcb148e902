"""EC2 charges beyond instance hours, launch templates priced where they launch, and support calendars.

Every expected figure is worked out by hand in its comment from the shipped price rows
(`pricing/data/*.csv`, AWS list prices; the row is quoted), never from the estimator's output; where an
infracost golden output prints the same figure it is named as a second reading.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from advisor.model import Block, Resource, Span, Value
from advisor.pricing.catalog import Catalog
from advisor.pricing.costs import CostComponent, ResourceCost
from advisor.pricing.estimators import LAUNCHED_BLOCK, estimate
from advisor.pricing.lines import PRICE_DATE_VARIABLE

SPAN = Span("main.tf", 0, 0, 0, 0)


def block(
    kind: str,
    attrs: dict[str, Any] | None = None,
    blocks: list[Block] | None = None,
    labels: list[str] | None = None,
) -> Block:
    values = {k: v if isinstance(v, Value) else Value(v, "literal") for k, v in (attrs or {}).items()}
    return Block(kind, SPAN, labels=labels or [], attributes=values, blocks=blocks or [])


def resource(
    rtype: str,
    attrs: dict[str, Any] | None = None,
    blocks: list[Block] | None = None,
    region: str = "us-east-1",
) -> Resource:
    return Resource(rtype, f"{rtype}.this", block("resource", attrs, blocks), "main.tf", region=region)


def launched(template_type: str, attrs: dict[str, Any], blocks: list[Block] | None = None) -> Block:
    """The launch template or configuration body the front-end links to what launches it."""
    return block(LAUNCHED_BLOCK, attrs, blocks, labels=[template_type])


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


def names(rc: ResourceCost) -> list[str]:
    return [c.name for c in rc.components]


def cents(actual: float | None, expected: float) -> bool:
    return actual is not None and abs(actual - expected) <= 0.005 + 1e-9


# -- EBS optimization, detailed monitoring, tenancy ------------------------------------------------


def test_ebs_optimized_surcharge_on_previous_generation_types(catalog: Catalog) -> None:
    # prices_ec2.csv ec2.r3.xlarge us-east-1 0.333/h: 730 × 0.333 = 243.09;
    # prices_services.csv ebs_optimized.r3.xlarge 0.02/h: 730 × 0.02 = 14.60; root 8 GB gp2 × 0.10 = 0.80
    # (infracost instance_test aws_instance.instance2_ebsOptimized prints 243.09 + 14.60 + 0.80)
    rc = cost(catalog, resource("aws_instance", {"instance_type": "r3.xlarge", "ebs_optimized": True}))
    assert cents(line(rc, "EBS-optimized usage").monthly_cost, 14.60)
    assert cents(rc.monthly_cost, 243.09 + 14.60 + 0.80)
    # monthly_hours 100: 100 × 0.333 = 33.30 and 100 × 0.02 = 2.00
    rc = cost(
        catalog,
        resource("aws_instance", {"instance_type": "r3.xlarge", "ebs_optimized": True}),
        {"monthly_hours": 100},
    )
    assert cents(line(rc, "EBS-optimized usage").monthly_cost, 2.00)


def test_ebs_optimized_is_free_where_included_and_unknown_where_unpriced(catalog: Catalog) -> None:
    # m3.large cannot be EBS-optimized and m5.large always is, at no extra charge: no line
    for itype in ("m3.large", "m5.large"):
        rc = cost(catalog, resource("aws_instance", {"instance_type": itype, "ebs_optimized": True}))
        assert not any(n.startswith("EBS-optimized") for n in names(rc))
    # r3.2xlarge bills it apart, but the catalog has no price for it: unknown, never $0
    rc = cost(catalog, resource("aws_instance", {"instance_type": "r3.2xlarge", "ebs_optimized": True}))
    surcharge = line(rc, "EBS-optimized usage")
    assert surcharge.unit_price is None and surcharge.monthly_cost is None
    assert rc.monthly_cost is None


def test_detailed_monitoring(catalog: Catalog) -> None:
    # prices_services.csv cloudwatch.metric 0.30/metric-month: 7 metrics × 0.30 = 2.10 per instance
    rc = cost(catalog, resource("aws_instance", {"instance_type": "m3.large", "monitoring": True}))
    assert line(rc, "EC2 detailed monitoring").quantity == 7
    assert cents(line(rc, "EC2 detailed monitoring").monthly_cost, 2.10)
    # a launch configuration monitors unless enable_monitoring = false (the provider's default)
    rc = cost(catalog, resource("aws_launch_configuration", {"instance_type": "t2.medium"}))
    assert cents(line(rc, "EC2 detailed monitoring").monthly_cost, 2.10)
    off = {"instance_type": "t2.medium", "enable_monitoring": False}
    assert "EC2 detailed monitoring" not in names(cost(catalog, resource("aws_launch_configuration", off)))
    # a launch template monitors with monitoring { enabled = true }
    lt = resource(
        "aws_launch_template", {"instance_type": "t2.medium"}, [block("monitoring", {"enabled": True})]
    )
    assert cents(line(cost(catalog, lt), "EC2 detailed monitoring").monthly_cost, 2.10)


def test_dedicated_tenancy(catalog: Catalog) -> None:
    # prices_services.csv ec2_dedicated.m3.medium 0.074/h: 730 × 0.074 = 54.02 (shared would be 0.067)
    rc = cost(catalog, resource("aws_instance", {"instance_type": "m3.medium", "tenancy": "dedicated"}))
    assert cents(line(rc, "Instance usage (Linux, dedicated").monthly_cost, 54.02)
    assert any("per-region fee" in n for n in rc.notes)
    # no dedicated price for t3.micro: unknown, never the shared price or $0
    rc = cost(catalog, resource("aws_instance", {"instance_type": "t3.micro", "tenancy": "dedicated"}))
    assert line(rc, "Instance usage").unit_price is None and rc.monthly_cost is None
    # on a dedicated host the host's hours are the bill: the instance adds its root volume only,
    # 8 GB gp2 × 0.10 = 0.80 (infracost instance_test aws_instance.with_host: 50 GB = 5.00)
    rc = cost(catalog, resource("aws_instance", {"instance_type": "m5.large", "tenancy": "host"}))
    assert not any(n.startswith("Instance usage") for n in names(rc))
    assert cents(rc.monthly_cost, 0.80)


# -- launch templates and configurations, priced on what launches them -------------------------------


def test_autoscaling_group_prices_its_launch_template_volumes(catalog: Catalog) -> None:
    # two t2.medium: 2 × 730 × 0.0464 (prices_ec2.csv) = 67.744; per instance 10 GB gp2 and 20 GB io1
    # with 200 IOPS: 2 × 10 × 0.10 = 2.00, 2 × 20 × 0.125 = 5.00, 2 × 200 × 0.065 = 26.00
    # (unit_prices.csv ebs.gp2.storage 0.10, ebs.io1.storage 0.125, ebs.io1.iops 0.065);
    # infracost autoscaling_group_test asg_lt_basic prints 67.74 + 2.00 + 5.00 + 26.00
    template = launched(
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
    attrs = {"desired_capacity": 2, "_launch_instance_type": "t2.medium"}
    rc = cost(catalog, resource("aws_autoscaling_group", attrs, [template]))
    assert line(rc, "block_device_mappings[0]: Storage").quantity == 20
    assert cents(line(rc, "block_device_mappings[1]: Provisioned IOPS").monthly_cost, 26.00)
    assert cents(rc.monthly_cost, 67.744 + 2.00 + 5.00 + 26.00)
    # a count unknown before apply leaves every per-instance line unknown
    unknown = {
        "desired_capacity": Value(None, "unknown", reason="var.size"),
        "_launch_instance_type": "t2.medium",
    }
    rc = cost(catalog, resource("aws_autoscaling_group", unknown, [template]))
    assert line(rc, "block_device_mappings[0]: Storage").monthly_cost is None


def test_autoscaling_group_with_launch_configuration_options(catalog: Catalog) -> None:
    # two r3.xlarge with EBS optimization and monitoring off: 1,460 × 0.333 = 486.18, 1,460 × 0.02 = 29.20,
    # root 2 × 8 GB gp2 × 0.10 = 1.60 (infracost asg_lc_ebs_optimized prints the same three lines)
    config = launched(
        "aws_launch_configuration",
        {"instance_type": "r3.xlarge", "ebs_optimized": True, "enable_monitoring": False},
    )
    attrs = {"desired_capacity": 2, "_launch_instance_type": "r3.xlarge"}
    rc = cost(catalog, resource("aws_autoscaling_group", attrs, [config]))
    assert "EC2 detailed monitoring" not in names(rc)
    assert cents(line(rc, "root_block_device").monthly_cost, 1.60)
    assert cents(rc.monthly_cost, 486.18 + 29.20 + 1.60)
    # monitoring on by default: 2 instances × 7 metrics × 0.30 = 4.20
    config = launched("aws_launch_configuration", {"instance_type": "t2.medium"})
    rc = cost(
        catalog,
        resource(
            "aws_autoscaling_group", {"desired_capacity": 2, "_launch_instance_type": "t2.medium"}, [config]
        ),
    )
    assert line(rc, "EC2 detailed monitoring").quantity == 14
    assert cents(line(rc, "EC2 detailed monitoring").monthly_cost, 4.20)
    # dedicated placement: 1,460 × 0.074 = 108.04 (infracost asg_lc_tenancy_dedicated)
    config = launched(
        "aws_launch_configuration",
        {"instance_type": "m3.medium", "placement_tenancy": "dedicated", "enable_monitoring": False},
    )
    rc = cost(
        catalog,
        resource(
            "aws_autoscaling_group", {"desired_capacity": 2, "_launch_instance_type": "m3.medium"}, [config]
        ),
    )
    assert cents(line(rc, "Instance usage").monthly_cost, 108.04)


def test_eks_node_group_with_launch_template(catalog: Catalog) -> None:
    # three m5.xlarge from the template: 3 × 730 × 0.192 (prices_ec2.csv) = 420.48; 3 × 20 GB gp2 × 0.10
    # = 6.00 (infracost eks_node_group_test example_with_launch_template_2: 420.48 + 6.00)
    template = launched(
        "aws_launch_template",
        {"instance_type": "m5.xlarge"},
        [block("block_device_mappings", {"device_name": "/dev/sda1"}, [block("ebs", {"volume_size": 20})])],
    )
    group = resource(
        "aws_eks_node_group",
        {"_launch_instance_type": "m5.xlarge"},
        [block("scaling_config", {"desired_size": 3}), block("launch_template", {"name": "foo2"}), template],
    )
    rc = cost(catalog, group)
    assert cents(line(rc, "Instance usage").monthly_cost, 420.48)
    assert cents(rc.monthly_cost, 420.48 + 6.00)
    # instance_types on the group win over the template's: 3 × 730 × 0.0416 (t3.medium) = 91.104
    group.body.attributes["instance_types"] = Value(["t3.medium"], "literal")
    rc = cost(catalog, group)
    assert cents(line(rc, "Instance usage").monthly_cost, 91.104)


def test_instance_takes_what_it_does_not_say_from_its_launch_template(catalog: Catalog) -> None:
    # the template: t3.medium on dedicated tenancy, monitoring on, a 10 GB io1 volume with 100 IOPS.
    # prices_services.csv ec2_dedicated.t3.medium 0.0441: 730 × 0.0441 = 32.193; monitoring 7 × 0.30 =
    # 2.10; root 8 GB gp2 × 0.10 = 0.80; 10 × 0.125 = 1.25 and 100 × 0.065 = 6.50 (infracost
    # instance_test aws_instance.instance_withLaunchTemplateByName: 32.19 + 2.10 + 0.80 + 1.25 + 6.50)
    template = launched(
        "aws_launch_template",
        {"instance_type": "t3.medium", "ebs_optimized": True},
        [
            block("monitoring", {"enabled": True}),
            block("placement", {"tenancy": "dedicated"}),
            block(
                "block_device_mappings",
                {"device_name": "xvdc"},
                [block("ebs", {"volume_type": "io1", "volume_size": 10, "iops": 100})],
            ),
        ],
    )
    by_name = [block("launch_template", {"name": "example-lt"}), template]
    rc = cost(catalog, resource("aws_instance", {"_launch_instance_type": "t3.medium"}, by_name))
    assert cents(line(rc, "Instance usage (Linux, dedicated, t3.medium)").monthly_cost, 32.193)
    assert cents(rc.monthly_cost, 32.193 + 2.10 + 0.80 + 1.25 + 6.50)
    # the instance's own settings win: monitoring = false, shared tenancy, t3.large 730 × 0.0832 = 60.736
    own = {
        "instance_type": "t3.large",
        "monitoring": False,
        "tenancy": "default",
        "_launch_instance_type": "t3.medium",
    }
    rc = cost(catalog, resource("aws_instance", own, by_name))
    assert "EC2 detailed monitoring" not in names(rc)
    assert cents(line(rc, "Instance usage (Linux, on-demand, t3.large)").monthly_cost, 60.736)


# -- support calendars ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "day", "expected"),
    [
        # unit_prices.csv eks.cluster.extended_support.hour 0.60: 730 × 0.60 = 438.00; eks.cluster.hour
        # 0.10: 730 × 0.10 = 73.00. 1.29 left standard support on 2025-03-23, 1.32 on 2026-03-23.
        ("1.29", "2025-07-07", 438.00),  # infracost eks_cluster_test extended_support["1.29"]
        ("1.23", "2025-07-07", 438.00),  # past extended support too: upgraded, still extended
        ("1.32", "2025-07-07", 73.00),
        ("1.32", "2026-03-23", 73.00),  # its last day of standard support
        ("1.32", "2026-03-24", 438.00),
        ("1.99", "2026-03-24", 73.00),  # newer than the calendar: standard
    ],
)
def test_eks_extended_support(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch, version: str, day: str, expected: float
) -> None:
    monkeypatch.setenv(PRICE_DATE_VARIABLE, day)
    rc = cost(catalog, resource("aws_eks_cluster", {"version": version}))
    assert cents(rc.monthly_cost, expected)


def test_eks_standard_upgrade_policy_and_unknown_version(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PRICE_DATE_VARIABLE, "2025-07-07")
    policy = [block("upgrade_policy", {"support_type": "STANDARD"})]
    assert cents(cost(catalog, resource("aws_eks_cluster", {"version": "1.29"}, policy)).monthly_cost, 73.00)
    rc = cost(catalog, resource("aws_eks_cluster", {"version": Value(None, "unknown", reason="var.v")}))
    assert cents(rc.monthly_cost, 73.00) and "standard support assumed" in rc.components[0].note
    monkeypatch.setenv(PRICE_DATE_VARIABLE, "July 2025")
    rc = cost(catalog, resource("aws_eks_cluster", {"version": "1.29"}))
    assert any("not a YYYY-MM-DD date" in n for n in rc.notes)


@pytest.mark.parametrize(
    ("attrs", "day", "expected"),
    [
        # db.t3.large has 2 vCPUs (instance_types.csv); prices_services.csv rds_extended_support.year1_2
        # us-east-1 0.10 and .year3 0.20 per vCPU-hour. MySQL 5.7: extended support from 2024-03-01,
        # year 3 from 2026-03-01. 2 × 730 × 0.10 = 146.00 (infracost db_instance_test
        # extended_support["mysql-5.7"] "Extended support (year 1)" 146.00); 2 × 730 × 0.20 = 292.00
        ({"engine": "mysql", "engine_version": "5.7.44"}, "2025-07-07", 146.00),
        ({"engine": "mysql", "engine_version": "5.7"}, "2026-05-03", 292.00),
        # Multi-AZ bills the standby too: 2 instances × 2 × 730 × 0.10 = 292.00
        ({"engine": "mysql", "engine_version": "5.7", "multi_az": True}, "2025-07-07", 292.00),
        # PostgreSQL 12 from 2025-03-01: 146.00; PostgreSQL 14 and MySQL 8.0 before 2026-08-01: none
        ({"engine": "postgres", "engine_version": "12.19"}, "2025-07-07", 146.00),
        ({"engine": "postgres", "engine_version": "14.1"}, "2025-07-07", None),
        ({"engine": "mysql", "engine_version": "8.0.36"}, "2026-07-31", None),
        ({"engine": "mysql", "engine_version": "8.0.36"}, "2026-08-01", 146.00),
        # not written: AWS creates the newest version
        ({"engine": "mysql"}, "2026-05-03", None),
    ],
)
def test_rds_extended_support(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch, attrs: dict[str, Any], day: str, expected: float | None
) -> None:
    monkeypatch.setenv(PRICE_DATE_VARIABLE, day)
    res = resource("aws_db_instance", {"instance_class": "db.t3.large", "allocated_storage": 20, **attrs})
    found = [c for c in cost(catalog, res).components if c.name.startswith("Extended support")]
    if expected is None:
        assert not found
    else:
        assert len(found) == 1 and cents(found[0].monthly_cost, expected)


def test_rds_extended_support_in_other_regions_and_on_aurora(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PRICE_DATE_VARIABLE, "2025-03-05")
    # eu-west-1 rds_extended_support.year1_2 0.112: 2 × 730 × 0.112 = 163.52
    res = resource(
        "aws_db_instance",
        {
            "engine": "mysql",
            "engine_version": "5.7",
            "instance_class": "db.t3.large",
            "allocated_storage": 20,
        },
        region="eu-west-1",
    )
    es = line(cost(catalog, res), "Extended support")
    assert cents(es.monthly_cost, 163.52) and not es.estimate
    # Aurora PostgreSQL 11, year 2 on 2025-03-05: 146.00 beside the instance's 730 × 0.164 = 119.72
    # (prices_rds.csv rds.aurora-postgresql.single-az.db.t3.large; infracost rds_cluster_instance_test
    # extended_support["aurora-postgresql-11"] 119.72 + 146.00)
    res = resource(
        "aws_rds_cluster_instance",
        {"engine": "aurora-postgresql", "engine_version": "11.9", "instance_class": "db.t3.large"},
    )
    rc = cost(catalog, res)
    assert cents(line(rc, "Extended support").monthly_cost, 146.00)
    assert cents(rc.monthly_cost, 119.72 + 146.00)
    # Aurora MySQL 3 (8.0-compatible) is in standard support
    res.body.attributes.update(
        engine=Value("aurora-mysql", "literal"), engine_version=Value("8.0.mysql_aurora.3.05.2", "literal")
    )
    assert not any(n.startswith("Extended support") for n in names(cost(catalog, res)))


def test_rds_provisioned_iops_minimums(catalog: Catalog) -> None:
    # io1 without iops and below 100 GB: priced at RDS's minimums, 100 GB × 0.125 = 12.50 and
    # 1,000 IOPS × 0.10 = 100.00 (unit_prices.csv rds.storage.io1.single-az, rds.iops.io1.single-az);
    # infracost db_instance_test mysql-default-iops prints the same two lines
    res = resource(
        "aws_db_instance",
        {"engine": "mysql", "instance_class": "db.t3.large", "storage_type": "io1", "allocated_storage": 50},
    )
    rc = cost(catalog, res)
    assert cents(line(rc, "Storage (io1").monthly_cost, 12.50)
    assert cents(line(rc, "Provisioned IOPS (io1)").monthly_cost, 100.00)
    assert "minimum" in line(rc, "Provisioned IOPS (io1)").note
