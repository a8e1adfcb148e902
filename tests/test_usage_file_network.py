"""Volume tiers and usage dimensions of request, query and data-transfer services, priced from an
infracost usage file by the real command line (`advisor cost --format json --usage-file F`).

Every figure is worked by hand from AWS's published us-east-1 prices (the rows of
`pricing/data/prices_services.csv`, each checked against an infracost golden unit price):
REST API requests $3.50 / $2.80 / $2.38 / $1.51 per million (first 333M, next 667M, next 19B, over
20B); HTTP API $1.00 / $0.90 per million (first 300M, over), metered in 512 KB steps; WebSocket
messages $1.00 / $0.80 per million (first 1B, over), metered in 32 KB steps; Route 53 standard queries
$0.40 / $0.20 per million (first 1B, over); AWS Config rule evaluations $0.001 / $0.0008 / $0.0005
(first 100K, next 400K, over); interface endpoint data $0.01 / $0.006 / $0.004 per GB (first 1 PB,
next 4 PB, over); Step Functions Express duration $0.060012 / $0.029988 / $0.016416 per GB-hour
(first 1K, next 4K, over), billed in 100 ms and 64 MB steps; Firehose ingestion in eu-west-2 $0.035 /
$0.03 / $0.024 per GB (first 500 TB, next 1.5 PB, over).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import run_cli


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "ADVISOR_CACHE_DIR": str(tmp_path / "cache" / "advisor"),
        "ADVISOR_NO_CACHE": "1",
    }


def _cost(tmp_path: Path, main_tf: str, usage_yml: str) -> tuple[dict[str, dict[str, Any]], str]:
    """{address: {line name: (quantity, monthly cost)} | total} and the command's stderr."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "main.tf").write_text(main_tf)
    (root / "usage.yml").write_text(usage_yml)
    result = run_cli("cost", ".", "-f", "json", "--usage-file", "usage.yml", cwd=root, env=_env(tmp_path))
    assert result.returncode == 0, result.stderr
    out: dict[str, dict[str, Any]] = {}
    for resource in json.loads(result.stdout)["resources"]:
        lines: dict[str, Any] = {
            c["name"]: (c["quantity"], c["monthly_cost"]) for c in resource["components"]
        }
        lines["total"] = resource["monthly_cost"]
        out[resource["address"]] = lines
    return out, result.stderr


PROVIDER = 'provider "aws" {\n  region = "us-east-1"\n}\n'


def test_api_gateway_requests_and_messages_climb_their_volume_tiers(tmp_path: Path) -> None:
    main_tf = PROVIDER + (
        'resource "aws_api_gateway_rest_api" "rest" {\n  name = "rest"\n}\n'
        'resource "aws_apigatewayv2_api" "http" {\n  name = "http"\n  protocol_type = "HTTP"\n}\n'
        'resource "aws_apigatewayv2_api" "ws" {\n  name = "ws"\n  protocol_type = "WEBSOCKET"\n'
        '  route_selection_expression = "$request.body.action"\n}\n'
    )
    usage = (
        "version: 0.1\nresource_usage:\n"
        "  aws_api_gateway_rest_api.rest:\n    monthly_requests: 21000000000\n"
        "  aws_apigatewayv2_api.http:\n    monthly_requests: 200000000\n    request_size_kb: 600\n"
        "  aws_apigatewayv2_api.ws:\n    monthly_messages: 750000000\n    message_size_kb: 40\n"
        "    monthly_connection_mins: 10000000\n"
    )
    lines, _ = _cost(tmp_path, main_tf, usage)
    rest = lines["aws_api_gateway_rest_api.rest"]
    assert rest["Requests (first 333M)"] == (333.0, 1165.50)  # 333 x 3.50
    assert rest["Requests (next 667M)"] == (667.0, 1867.60)  # 667 x 2.80
    assert rest["Requests (next 19B)"] == (19000.0, 45220.00)  # 19,000 x 2.38
    assert rest["Requests (over 20B)"] == (1000.0, 1510.00)  # 1,000 x 1.51
    assert rest["total"] == 49763.10
    # 600 KB requests count twice (512 KB steps): 400M requests, 300M at 1.00 and 100M at 0.90
    http = lines["aws_apigatewayv2_api.http"]
    assert http["Requests (first 300M)"] == (300.0, 300.00)
    assert http["Requests (over 300M)"] == (100.0, 90.00)
    # 40 KB messages count twice (32 KB steps): 1.5B messages, 1B at 1.00 and 500M at 0.80
    ws = lines["aws_apigatewayv2_api.ws"]
    assert ws["Messages (first 1B)"] == (1000.0, 1000.00)
    assert ws["Messages (over 1B)"] == (500.0, 400.00)
    assert ws["Connection minutes"] == (10.0, 2.50)  # 10M minutes at 0.25 per million


def test_queries_evaluations_and_endpoint_data_climb_their_volume_tiers(tmp_path: Path) -> None:
    main_tf = PROVIDER + (
        'resource "aws_route53_record" "www" {\n  zone_id = "Z1"\n  name = "www"\n  type = "A"\n'
        '  ttl = 300\n  records = ["10.0.0.1"]\n}\n'
        'resource "aws_config_config_rule" "rule" {\n  name = "r"\n  source {\n    owner = "AWS"\n'
        '    source_identifier = "S3_BUCKET_VERSIONING_ENABLED"\n  }\n}\n'
        'resource "aws_vpc_endpoint" "api" {\n  vpc_id = "vpc-1"\n  service_name = "com.amazonaws.us-east-1.sqs"\n'
        '  vpc_endpoint_type = "Interface"\n  subnet_ids = ["subnet-1"]\n}\n'
    )
    usage = (
        "version: 0.1\nresource_usage:\n"
        "  aws_route53_record.www:\n    monthly_standard_queries: 1100000000\n"
        "  aws_config_config_rule.rule:\n    monthly_rule_evaluations: 1000000\n"
        "  aws_vpc_endpoint.api:\n    monthly_data_processed_gb: 7000000\n"
    )
    lines, _ = _cost(tmp_path, main_tf, usage)
    record = lines["aws_route53_record.www"]
    assert record["Standard queries (first 1B)"] == (1000.0, 400.00)
    assert record["Standard queries (over 1B)"] == (100.0, 20.00)
    rule = lines["aws_config_config_rule.rule"]
    assert rule["Rule evaluations (first 100K)"] == (100000.0, 100.00)
    assert rule["Rule evaluations (next 400K)"] == (400000.0, 320.00)
    assert rule["Rule evaluations (over 500K)"] == (500000.0, 250.00)
    endpoint = lines["aws_vpc_endpoint.api"]
    assert endpoint["Data processed (first 1PB)"] == (1000000.0, 10000.00)
    assert endpoint["Data processed (next 4PB)"] == (4000000.0, 24000.00)
    assert endpoint["Data processed (over 5PB)"] == (2000000.0, 8000.00)
    assert endpoint["total"] == 42007.30  # with 730 endpoint hours at 0.01


def test_express_state_machine_bills_duration_in_100_ms_and_64_mb_steps(tmp_path: Path) -> None:
    main_tf = PROVIDER + (
        'resource "aws_sfn_state_machine" "big" {\n  name = "big"\n  role_arn = "arn:aws:iam::1:role/r"\n'
        '  definition = "{}"\n  type = "EXPRESS"\n}\n'
        'resource "aws_sfn_state_machine" "small" {\n  name = "small"\n  role_arn = "arn:aws:iam::1:role/r"\n'
        '  definition = "{}"\n  type = "EXPRESS"\n}\n'
    )
    usage = (
        "version: 0.1\nresource_usage:\n"
        "  aws_sfn_state_machine.big:\n    monthly_requests: 100000000\n    workflow_duration_ms: 801\n"
        "    memory_mb: 1200\n"
        "  aws_sfn_state_machine.small:\n    monthly_requests: 3600\n    workflow_duration_ms: 1\n"
        "    memory_mb: 0\n"
    )
    lines, _ = _cost(tmp_path, main_tf, usage)
    # 100M x 0.9 s x 1.1875 GB (1,216 MB) / 3,600 = 29,687.5 GB-hours
    big = lines["aws_sfn_state_machine.big"]
    assert big["Requests"] == (100.0, 100.00)
    assert big["Duration (first 1K)"] == (1000.0, 60.01)  # 1,000 x 0.060012
    assert big["Duration (next 4K)"] == (4000.0, 119.95)  # 4,000 x 0.029988
    assert big["Duration (over 5K)"] == (24687.5, 405.27)  # 24,687.5 x 0.016416
    # 3,600 x 0.1 s x 0.0625 GB (the 64 MB minimum) / 3,600 = 0.00625 GB-hours
    small = lines["aws_sfn_state_machine.small"]
    assert small["Duration"][0] == 0.00625


def test_firehose_ingestion_climbs_the_regional_ladder(tmp_path: Path) -> None:
    main_tf = (
        'provider "aws" {\n  region = "eu-west-2"\n}\n'
        'resource "aws_kinesis_firehose_delivery_stream" "s" {\n  name = "s"\n  destination = "extended_s3"\n'
        '  extended_s3_configuration {\n    role_arn = "arn:aws:iam::1:role/r"\n'
        '    bucket_arn = "arn:aws:s3:::b"\n  }\n}\n'
    )
    usage = "version: 0.1\nresource_usage:\n  aws_kinesis_firehose_delivery_stream.s:\n    monthly_data_ingested_gb: 3000000\n"
    lines, _ = _cost(tmp_path, main_tf, usage)
    stream = lines["aws_kinesis_firehose_delivery_stream.s"]
    assert stream["Data ingested (first 500TB)"] == (512000.0, 17920.00)  # x 0.035
    assert stream["Data ingested (next 1.5PB)"] == (1536000.0, 46080.00)  # x 0.03
    assert stream["Data ingested (over 2PB)"] == (952000.0, 22848.00)  # x 0.024
    assert stream["total"] == 86848.00


GA_MAIN_TF = PROVIDER + (
    'resource "aws_globalaccelerator_endpoint_group" "eu" {\n  listener_arn = "l"\n'
    '  endpoint_group_region = "eu-west-1"\n}\n'
    'resource "aws_globalaccelerator_endpoint_group" "na" {\n  listener_arn = "l"\n'
    '  endpoint_group_region = "us-west-1"\n}\n'
    'resource "aws_globalaccelerator_endpoint_group" "sg" {\n  listener_arn = "l"\n'
    '  endpoint_group_region = "ap-southeast-1"\n}\n'
    'resource "aws_globalaccelerator_endpoint_group" "idle" {\n  listener_arn = "l"\n}\n'
)


def test_global_accelerator_premium_is_billed_on_the_dominant_direction(tmp_path: Path) -> None:
    usage = (
        "version: 0.1\nresource_usage:\n"
        "  aws_globalaccelerator_endpoint_group.eu:\n"
        "    monthly_inbound_data_transfer_gb:\n      us: 1000\n      australia: 2000\n"
        "    monthly_outbound_data_transfer_gb:\n      europe: 500\n"
        "  aws_globalaccelerator_endpoint_group.na:\n"
        "    monthly_inbound_data_transfer_gb:\n      europe: 2000\n"
        "    monthly_outbound_data_transfer_gb:\n      europe: 5000\n      asia_pacific: 1000\n      us: 10\n"
        "  aws_globalaccelerator_endpoint_group.sg:\n"
        "    monthly_outbound_data_transfer_gb:\n      europe: 100\n"
    )
    lines, stderr = _cost(tmp_path, GA_MAIN_TF, usage)
    assert "not applied" not in stderr
    # Europe endpoint, inbound dominates (3,000 GB against 500): US edge 0.015, Australia edge 0.105
    eu = lines["aws_globalaccelerator_endpoint_group.eu"]
    assert eu["Data transfer premium, inbound (US, Mexico, Canada)"] == (1000.0, 15.00)
    assert eu["Data transfer premium, inbound (Australia, New Zealand)"] == (2000.0, 210.00)
    assert not any("outbound" in name for name in eu)
    assert eu["total"] == 225.00
    # North America endpoint, outbound dominates (6,010 GB against 2,000): Europe 0.015, Asia Pacific 0.035;
    # no published North America to North America rate in the catalog: that line, and so the total, unknown
    na = lines["aws_globalaccelerator_endpoint_group.na"]
    assert na["Data transfer premium, outbound (Europe)"] == (5000.0, 75.00)
    assert na["Data transfer premium, outbound (Asia Pacific)"] == (1000.0, 35.00)
    assert na["Data transfer premium, outbound (US, Mexico, Canada)"] == (10.0, None)
    assert na["total"] is None
    # an Asia Pacific endpoint: no rates, so unknown, never $0
    assert lines["aws_globalaccelerator_endpoint_group.sg"]["total"] is None
    assert lines["aws_globalaccelerator_endpoint_group.sg"]["Data transfer premium, outbound (Europe)"] == (
        100.0,
        None,
    )
    # without usage the premium depends on usage and adds nothing
    idle = lines["aws_globalaccelerator_endpoint_group.idle"]
    assert idle["Data transfer premium (dominant direction)"] == (None, None)


CLOUDFRONT_TF = PROVIDER + (
    'resource "aws_cloudfront_distribution" "cdn" {\n  enabled = true\n'
    '  origin {\n    domain_name = "b.s3.amazonaws.com"\n    origin_id = "s3"\n'
    '    origin_shield {\n      enabled = true\n      origin_shield_region = "sa-east-1"\n    }\n  }\n'
    '  default_cache_behavior {\n    allowed_methods = ["GET", "HEAD"]\n    cached_methods = ["GET", "HEAD"]\n'
    '    target_origin_id = "s3"\n    viewer_protocol_policy = "allow-all"\n  }\n'
    '  restrictions {\n    geo_restriction {\n      restriction_type = "none"\n    }\n  }\n'
    "  viewer_certificate {\n    cloudfront_default_certificate = true\n  }\n}\n"
)


def test_cloudfront_prices_each_area_on_its_own_ladder(tmp_path: Path) -> None:
    usage = (
        "version: 0.1\nresource_usage:\n  aws_cloudfront_distribution.cdn:\n"
        "    monthly_data_transfer_to_internet_gb:\n      us: 60000\n      japan: 1000\n"
        "    monthly_data_transfer_to_origin_gb:\n      south_america: 100\n"
        "    monthly_http_requests:\n      us: 2000000\n"
        "    monthly_https_requests:\n      australia: 1000000\n"
        "    monthly_shield_requests:\n      south_america: 500000\n      europe: 10\n"
        "    monthly_invalidation_requests: 3000\n    monthly_encryption_requests: 100000\n"
        "    monthly_log_lines: 5000000\n    custom_ssl_certificates: 2\n"
    )
    lines, stderr = _cost(tmp_path, CLOUDFRONT_TF, usage)
    assert "not applied" not in stderr
    cdn = lines["aws_cloudfront_distribution.cdn"]
    us = "US, Mexico, Canada"
    # 60,000 GB: 10,240 at 0.085, 40,960 at 0.08, the other 8,800 at 0.06
    assert cdn[f"Data transfer out to internet ({us}, first 10TB)"] == (10240.0, 870.40)
    assert cdn[f"Data transfer out to internet ({us}, next 40TB)"] == (40960.0, 3276.80)
    assert cdn[f"Data transfer out to internet ({us}, next 100TB)"] == (8800.0, 528.00)
    assert cdn["Data transfer out to internet (Japan)"] == (1000.0, 114.00)  # 0.114 in Japan
    assert cdn["Data transfer out to origin (South America)"] == (100.0, 12.50)  # 0.125
    assert cdn[f"HTTP requests ({us})"] == (200.0, 1.50)  # 0.0075 per 10,000
    assert cdn["HTTPS requests (Australia, New Zealand)"] == (100.0, 1.25)  # 0.0125 per 10,000
    assert cdn["Origin Shield requests (sa-east-1)"] == (50.0, 0.80)  # the shield's area: 0.016 per 10,000
    assert cdn["Invalidation paths (over 1,000)"] == (2000.0, 10.00)  # 0.005 a path
    assert cdn["Field-level encryption requests"] == (10.0, 0.20)  # 0.02 per 10,000
    assert cdn["Real-time log lines"] == (5.0, 0.05)  # 0.01 per million
    assert cdn["Dedicated IP custom SSL certificates"] == (2.0, 1200.00)  # 600 a month each
    assert not any("Europe" in name for name in cdn)  # shield requests count only in the shield's area
    assert cdn["total"] == 6015.50


def test_s3_class_usage_beyond_storage_is_priced_and_intelligent_tiering_early_delete_is_not(
    tmp_path: Path,
) -> None:
    main_tf = PROVIDER + 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n'
    usage = (
        "version: 0.1\nresource_usage:\n  aws_s3_bucket.b:\n"
        "    standard:\n      monthly_select_data_scanned_gb: 1000\n"
        "    intelligent_tiering:\n      archive_access_storage_gb: 1000\n      early_delete_gb: 500\n"
        "    standard_infrequent_access:\n      monthly_tier_1_requests: 20000\n      monthly_data_retrieval_gb: 300\n"
        "    glacier_flexible_retrieval:\n      monthly_expedited_data_retrieval_requests: 2000\n"
        "      early_delete_gb: 1000\n"
        "    glacier_deep_archive:\n      monthly_bulk_data_retrieval_gb: 4000\n"
    )
    lines, stderr = _cost(tmp_path, main_tf, usage)
    bucket = lines["aws_s3_bucket.b"]
    assert bucket["Select data scanned (Standard)"] == (1000.0, 2.00)  # 0.002 per GB
    assert bucket["Intelligent-Tiering storage (archive access)"] == (1000.0, 3.60)  # 0.0036 per GB-month
    assert bucket["PUT, COPY, POST, LIST requests (Standard-IA)"] == (20.0, 0.20)  # 0.01 per 1,000
    assert bucket["Retrievals (Standard-IA)"] == (300.0, 3.00)  # 0.01 per GB
    # expedited retrievals: 10.00 per 1,000 requests
    assert bucket["Retrieval requests (Glacier Flexible Retrieval, expedited)"] == (2.0, 20.00)
    # deleted before 90 days: the storage left of the minimum, at the storage rate 0.0036
    assert bucket["Early delete (Glacier Flexible Retrieval, within 90 days)"] == (1000.0, 3.60)
    assert bucket["Retrievals (Glacier Deep Archive, bulk)"] == (4000.0, 10.00)  # 0.0025 per GB
    assert not any("Early delete (Intelligent" in name for name in bucket)
    assert "intelligent_tiering.early_delete_gb not applied: S3 Intelligent-Tiering has no minimum" in stderr


def test_direct_connect_data_out_is_priced_by_source_region_and_location(tmp_path: Path) -> None:
    main_tf = PROVIDER + (
        'resource "aws_dx_connection" "a" {\n  bandwidth = "1Gbps"\n  location = "EqDC2"\n  name = "a"\n}\n'
        'resource "aws_dx_connection" "b" {\n  bandwidth = "1Gbps"\n  location = "EqDC2"\n  name = "b"\n}\n'
        'resource "aws_dx_connection" "c" {\n  bandwidth = "1Gbps"\n  location = "EqLD5"\n  name = "c"\n}\n'
    )
    usage = (
        "version: 0.1\nresource_usage:\n"
        "  aws_dx_connection.a:\n    monthly_outbound_from_region_to_dx_connection_location:\n"
        "      eu_west_1: 1000\n      ap_east_1: 100\n      nowhere: 5\n"
        "  aws_dx_connection.b:\n    monthly_outbound_region_to_dx_location_gb: 200\n"
        "  aws_dx_connection.c:\n    monthly_outbound_region_to_dx_location_gb: 10\n"
    )
    lines, stderr = _cost(tmp_path, main_tf, usage)
    a = lines["aws_dx_connection.a"]
    assert a["Data transfer out (from eu-west-1, to eqdc2)"] == (1000.0, 28.20)  # 0.0282 per GB
    assert a["Data transfer out (from ap-east-1, to eqdc2)"] == (100.0, 9.00)  # 0.09 per GB
    assert a["total"] == 256.20  # with 730 port hours at 0.30
    assert "monthly_outbound_from_region_to_dx_connection_location.nowhere is not an AWS Region" in stderr
    # the older key: GB from the connection's own Region (us-east-1 to a North American location, 0.02)
    assert lines["aws_dx_connection.b"]["Data transfer out (from us-east-1, to eqdc2)"] == (200.0, 4.00)
    # a location without rates in the catalog: unknown, never $0
    assert lines["aws_dx_connection.c"]["Data transfer out (from us-east-1, to eqld5)"] == (10.0, None)
    assert lines["aws_dx_connection.c"]["total"] is None


def test_route53_record_says_which_query_usage_its_routing_policy_does_not_bill(tmp_path: Path) -> None:
    main_tf = PROVIDER + (
        'resource "aws_route53_record" "www" {\n  zone_id = "Z1"\n  name = "www"\n  type = "A"\n'
        '  ttl = 300\n  records = ["10.0.0.1"]\n}\n'
    )
    usage = (
        "version: 0.1\nresource_usage:\n  aws_route53_record.www:\n"
        "    monthly_standard_queries: 1000000\n    monthly_geo_queries: 5000000\n"
    )
    root = tmp_path / "proj"
    root.mkdir()
    (root / "main.tf").write_text(main_tf)
    (root / "usage.yml").write_text(usage)
    result = run_cli("cost", ".", "-f", "json", "--usage-file", "usage.yml", cwd=root, env=_env(tmp_path))
    assert result.returncode == 0, result.stderr
    (record,) = [
        r for r in json.loads(result.stdout)["resources"] if r["address"] == "aws_route53_record.www"
    ]
    assert record["monthly_cost"] == 0.40  # 1M standard queries at 0.40 per million
    assert any("monthly_geo_queries not priced" in note for note in record["notes"]), record["notes"]


def test_a_written_list_of_resources_known_after_apply_still_counts_its_subnets(tmp_path: Path) -> None:
    main_tf = PROVIDER + (
        'resource "aws_subnet" "a" {\n  vpc_id = "vpc-1"\n  cidr_block = "10.0.1.0/24"\n}\n'
        'resource "aws_subnet" "b" {\n  vpc_id = "vpc-1"\n  cidr_block = "10.0.2.0/24"\n}\n'
        'resource "aws_vpc_endpoint" "api" {\n  vpc_id = "vpc-1"\n  service_name = "com.amazonaws.us-east-1.sqs"\n'
        '  vpc_endpoint_type = "Interface"\n  subnet_ids = [aws_subnet.a.id, aws_subnet.b.id]\n}\n'
    )
    usage = "version: 0.1\nresource_usage:\n  aws_vpc_endpoint.api:\n    monthly_data_processed_gb: 100\n"
    lines, _ = _cost(tmp_path, main_tf, usage)
    endpoint = lines["aws_vpc_endpoint.api"]
    assert endpoint["Endpoint (Interface, per subnet)"] == (1460.0, 14.60)  # two subnets, 730 h at 0.01
    assert endpoint["total"] == 15.60  # and 100 GB at 0.01
