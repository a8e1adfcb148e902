"""Managed services priced in their own region (pricing/ec2shop_services.py, prices_services_regional.csv).

The CLI tests run the real `advisor cost --format json` on Terraform outside us-east-1. Each figure is
AWS's published on-demand price for that region, read by hand from the pricing-page file named next to
it, so a wrong row, a wrong region mapping or a fallback to us-east-1 fails:

- OpenSearch eu-west-1 (`es-ondemand.json`, published 2024-08-28): r6g.large.search $0.187/h, the same
  figure as the `OnDemand:PricePerUnit` of AWS's 2025-04-04 reserved-instance file for EU (Ireland);
  m5.large.search $0.158/h; gp3 storage $0.1342/GB-month, gp3 IOPS above 3000 $0.0088/IOPS-month.
- Redshift eu-central-1 (`redshift.json`, published 2025-03-19): ra3.xlplus $1.298/h (us-east-1: 1.086).
- MSK eu-west-1 (`msk.json`, 2025-04-04): kafka.m5.large $0.234/h (`EU-Kafka.m5.large`), storage $0.11/GB-month.
- Amazon MQ eu-central-1 (`mq.json`, 2025-02-13): mq.m5.large single instance $0.345/h.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from advisor.pricing import build_snapshot, ec2shop_services
from advisor.pricing.ec2shop_services import DerivationError, derive_rows
from conftest import REPO, run_cli

HOURS = 730
DATA = REPO / "pricing" / "data"
# A clone of github.com/yeo/ec2.shop (bare or not) holding the pinned revisions, for the reproducibility test.
MIRROR = os.environ.get("ADVISOR_EC2SHOP_REPO", "")


def cost(tmp_path: Path, text: str) -> dict[str, dict[str, Any]]:
    project = tmp_path / "project"
    project.mkdir()
    (project / "main.tf").write_text(text)
    proc = run_cli("cost", "--format", "json", ".", cwd=project, env={"XDG_CACHE_HOME": str(tmp_path / "c")})
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    return {r["address"]: r for r in report["resources"]}


def component(resource: dict[str, Any], prefix: str) -> dict[str, Any]:
    found = [c for c in resource["components"] if c["name"].startswith(prefix)]
    assert len(found) == 1, (prefix, [c["name"] for c in resource["components"]])
    return found[0]


EU_WEST_1 = """
provider "aws" {
  region = "eu-west-1"
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
    iops        = 4000
  }
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

resource "aws_docdb_cluster_instance" "docs" {
  cluster_identifier = "docs"
  instance_class     = "db.r5.large"
}
"""


def test_opensearch_and_msk_are_priced_in_eu_west_1(tmp_path: Path) -> None:
    res = cost(tmp_path, EU_WEST_1)

    domain = res["aws_opensearch_domain.logs"]
    data = component(domain, "Data instances")
    assert (data["unit_price"], data["source"], data["as_of"]) == (0.187, "ec2shop-services", "2024-08-28")
    assert component(domain, "Dedicated master")["unit_price"] == 0.158
    assert component(domain, "Storage (gp3)")["unit_price"] == 0.1342
    iops = component(domain, "Provisioned IOPS (gp3")  # 1000 IOPS above the 3000 included, per data node
    assert (iops["quantity"], iops["unit_price"]) == (3000, 0.0088)
    assert domain["estimate"] is False
    expected = 3 * HOURS * 0.187 + 3 * HOURS * 0.158 + 300 * 0.1342 + 3000 * 0.0088
    assert domain["monthly_cost"] == pytest.approx(expected, abs=0.01)

    events = res["aws_msk_cluster.events"]
    assert component(events, "Broker instances")["unit_price"] == 0.234
    assert component(events, "Broker storage")["unit_price"] == 0.11
    assert events["estimate"] is False
    assert events["monthly_cost"] == pytest.approx(3 * HOURS * 0.234 + 300 * 0.11, abs=0.01)

    # DocumentDB has no per-region source yet: the us-east-1 figure, said to be an estimate
    docs = res["aws_docdb_cluster_instance.docs"]
    assert docs["estimate"] is True
    assert component(docs, "Database instance")["unit_price"] == 0.277


EU_CENTRAL_1 = """
provider "aws" {
  region = "eu-central-1"
}

resource "aws_redshift_cluster" "warehouse" {
  cluster_identifier = "warehouse"
  node_type          = "ra3.xlplus"
  number_of_nodes    = 2
  cluster_type       = "multi-node"
  master_username    = "admin"
}

resource "aws_mq_broker" "queue" {
  broker_name        = "queue"
  engine_type        = "ActiveMQ"
  engine_version     = "5.17.6"
  host_instance_type = "mq.m5.large"
  user {
    username = "admin"
    password = "not-a-real-password"
  }
}
"""


def test_redshift_and_mq_are_priced_in_eu_central_1(tmp_path: Path) -> None:
    res = cost(tmp_path, EU_CENTRAL_1)

    warehouse = res["aws_redshift_cluster.warehouse"]
    nodes = component(warehouse, "Cluster nodes")
    assert (nodes["unit_price"], nodes["source"], nodes["as_of"]) == (1.298, "ec2shop-services", "2025-03-19")
    assert warehouse["monthly_cost"] == pytest.approx(2 * HOURS * 1.298, abs=0.01)
    # RA3 managed storage has no labelled per-region entry: still the us-east-1 figure, as an estimate
    assert component(warehouse, "Managed storage")["unit_price"] == 0.024
    assert warehouse["estimate"] is True

    queue = res["aws_mq_broker.queue"]
    assert component(queue, "Broker instances")["unit_price"] == 0.345
    assert queue["monthly_cost"] == pytest.approx(HOURS * 0.345, abs=0.01)


# -- the derivation -------------------------------------------------------------------------------------


def page(regions: dict[str, dict[str, Any]], sets: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """A pricing-page file in the shape AWS serves it (manifest, sets, regions -> label -> entry)."""
    manifest = {"serviceId": "x", "hawkFilePublicationDate": "2025-03-19T22:37:14Z", "currencyCode": "USD"}
    return {"manifest": manifest, "sets": sets or {}, "regions": regions}


def test_redshift_takes_the_on_demand_set_only() -> None:
    on_demand = "YVF6CSKM7D9MR6YP JRTCKXETXF.6YS6EN2CT7 0"
    document = page(
        {
            "EU (Frankfurt)": {
                on_demand: {"price": "1.2980000000", "Instance Type": "ra3.xlplus"},
                # concurrency scaling, per second: same instance type, not a node price
                "BCD3X4JFNWKY8T27 JRTCKXETXF.6YS6EN2CT7 1": {
                    "price": "0.00036",
                    "Instance Type": "ra3.xlplus",
                },
                # an unlabelled entry (managed storage or a reserved fee): left out
                "-MfsVLZsuY5x-A7bPq13778": {"price": "0.0256", "Instance Type": ""},
                "ra3 large OnDemand Compute Instance Current Generation": {
                    "price": "0.649",
                    "Instance Type": "ra3.large",
                },
            }
        },
        {"OnDemand Compute Instance Current Generation": [on_demand]},
    )
    rows = {
        (r.key, r.region): (str(r.price), r.unit, r.as_of)
        for r in derive_rows("data/redshift/redshift.json", document)
    }
    assert rows == {
        ("redshift.ra3.xlplus", "eu-central-1"): ("1.2980000000", "hour", "2025-03-19"),
        ("redshift.ra3.large", "eu-central-1"): ("0.649", "hour", "2025-03-19"),
    }


def test_msk_reads_usage_types_and_leaves_express_brokers_out() -> None:
    document = page(
        {
            "EU (Ireland)": {
                "a": {"price": "0.234", "usageType": "EU-Kafka.m5.large", "operation": "RunBroker"},
                "b": {"price": "0.11", "usageType": "EU-Kafka.Storage.GP2", "operation": "RunVolume"},
                "c": {"price": "0.4548", "usageType": "EU-Express.m7g.large", "operation": "RunBroker"},
                "d": {"price": "0.088", "usageType": "EU-Kafka.Throughput", "operation": "RunVolume"},
            },
            "US East (N. Virginia)": {
                "e": {"price": "0.21", "usageType": "USE1-Kafka.m5.large", "operation": "RunBroker"},
            },
        }
    )
    rows = {(r.key, r.region, r.unit) for r in derive_rows("data/msk/msk.json", document)}
    assert rows == {
        ("msk.kafka.m5.large", "eu-west-1", "hour"),
        ("msk.storage", "eu-west-1", "GB-month"),
        ("msk.kafka.m5.large", "us-east-1", "hour"),
    }


def test_an_unknown_location_or_two_prices_for_one_key_stop_the_build() -> None:
    entry = {"price": "0.2", "Instance Type": "r6g.large.search"}
    label = "r6g large.search - OnDemand - Memory optimized - Current Generation"
    with pytest.raises(DerivationError, match="unknown location 'Atlantis"):
        derive_rows("data/es/es-ondemand.json", page({"Atlantis (Central)": {label: entry}}))
    other = "r6g large.search - OnDemand - Memory optimized - Previous Generation"
    twice = page({"EU (Ireland)": {label: entry, other: {**entry, "price": "0.3"}}})
    with pytest.raises(DerivationError, match=r"opensearch\.r6g\.large\.search in eu-west-1"):
        derive_rows("data/es/es-ondemand.json", twice)
    with pytest.raises(DerivationError, match="not a pricing-page file"):
        derive_rows("data/mq/mq.json", {"regions": {}})


def test_free_entries_and_the_any_group_are_not_prices() -> None:
    document = page(
        {
            "Any": {"free tier Broker Storage GB-Mo": {"price": "0.0000000000"}},
            "EU (Frankfurt)": {
                "Single Instance mq m5.large": {"price": "0.3450000000"},
                "Active Standby mq m5.large": {"price": "0.69"},  # two brokers: the estimator counts them
                "Broker Storage Single AZ GB-Mo": {"price": "0.119"},
                "Single Instance mq t3.micro": {"price": "0"},
            },
        }
    )
    rows = {(r.key, str(r.price)) for r in derive_rows("data/mq/mq.json", document)}
    assert rows == {("mq.mq.m5.large", "0.3450000000"), ("mq.storage.ebs", "0.119")}


def test_from_ec2shop_on_a_folder_that_is_no_clone_fails_clearly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("*.sqlite"))
    before = (data / ec2shop_services.TABLE).read_bytes()
    proc = subprocess.run(
        [sys.executable, "-m", "advisor.pricing.build_snapshot", "--from-ec2shop", str(tmp_path / "nothing"),
         "--data-dir", str(data), "--output", str(tmp_path / "s.sqlite")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "--from-ec2shop:" in proc.stderr and "data/es/es-ondemand.json" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert (data / ec2shop_services.TABLE).read_bytes() == before  # nothing half-written
    assert not (tmp_path / "s.sqlite").exists()


def test_committed_rows_are_well_formed() -> None:
    with (DATA / ec2shop_services.TABLE).open(newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert table
    kept: dict[tuple[str, str], str] = {}
    for name in build_snapshot.PRICE_FILES:
        with (DATA / name).open(newline="", encoding="utf-8") as fh:
            kept.update({(r["key"], r["region"]): r["unit"] for r in csv.DictReader(fh)})
    kept_units = {key: unit for (key, _region), unit in kept.items()}
    seen: set[tuple[str, str]] = set()
    for r in table:
        ident = (r["key"], r["region"])
        assert ident not in seen and ident not in kept, ident  # one row per key and region across tables
        seen.add(ident)
        assert r["source"] == ec2shop_services.SOURCE_NAME and float(r["price"]) > 0, r
        assert r["key"].split(".")[0] in build_snapshot.KEPT_SERVICES, r  # keys the estimators read
        assert kept_units.get(r["key"], r["unit"]) == r["unit"], r
    regions = {r["region"] for r in table}
    assert {"eu-west-1", "eu-central-1", "ap-northeast-1", "us-gov-west-1", "sa-east-1"} <= regions


@pytest.mark.skipif(not MIRROR, reason="set ADVISOR_EC2SHOP_REPO to a clone of yeo/ec2.shop")
def test_the_table_is_reproduced_from_the_pinned_revisions(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("*.sqlite"))
    (data / ec2shop_services.TABLE).unlink()
    ec2shop_services.write_table(Path(MIRROR), data, build_snapshot.PRICE_FILES)
    assert (data / ec2shop_services.TABLE).read_bytes() == (DATA / ec2shop_services.TABLE).read_bytes()
