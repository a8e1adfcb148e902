"""The CloudFormation front-end: detection, spans, evaluation, mapping onto rules, fixes, ignores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from advisor.config import Config
from advisor.engine import Analysis, Options, analyze_paths
from advisor.model import Finding

YAML = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  InstanceType:
    Type: String
    Default: m3.large
    AllowedValues: [m3.large, m5.large, t2.micro]
  Env:
    Type: String
    Default: dev
Mappings:
  Sizes:
    us-east-1:
      Iops: 10000
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  DataVolume:
    Type: AWS::EC2::Volume
    Properties:
      AvailabilityZone: us-east-1a
      VolumeType: "io1"
      Size: 500
      Iops: !FindInMap [Sizes, !Ref "AWS::Region", Iops]
  Scratch:
    Type: AWS::EC2::Volume
    Properties:
      AvailabilityZone: us-east-1a
      Size: 100
  Web:
    Type: AWS::EC2::Instance
    Properties:
      InstanceType: !Ref InstanceType
      BlockDeviceMappings:
        - DeviceName: /dev/sdb
          Ebs:
            VolumeType: gp2
            VolumeSize: 50
  ProdOnly:
    Type: AWS::EC2::Volume
    Condition: IsProd
    Properties:
      VolumeType: gp2
      Size: 10
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub "/app/${Env}"
  Ip:
    Type: AWS::EC2::EIP
  Nat:
    Type: AWS::EC2::NatGateway
    Properties:
      AllocationId: !GetAtt NatIp.AllocationId
      SubnetId: subnet-1
  NatIp:
    Type: AWS::EC2::EIP
"""


def lint(tmp: Path, files: dict[str, str], **opts: object) -> Analysis:
    for name, text in files.items():
        (tmp / name).write_text(text, encoding="utf-8")
    return analyze_paths([str(tmp)], Options(config=Config(), jobs=1, **opts))  # type: ignore[arg-type]


def by_rule(a: Analysis) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in a.findings:
        out.setdefault(f.rule, []).append(f)
    return out


def apply(f: Finding) -> None:
    for e in sorted(f.fix, key=lambda e: e.span.start, reverse=True):
        p = Path(e.span.path)
        text = p.read_text(encoding="utf-8")
        p.write_text(text[: e.span.start] + e.new_text + text[e.span.end :], encoding="utf-8")


def test_yaml_template_findings_and_exact_spans(tmp_path: Path):
    a = lint(tmp_path, {"stack.yaml": YAML})
    rules = by_rule(a)
    io1 = rules["ebs-io1-to-gp3"][0]
    assert io1.resource == "DataVolume" and (io1.monthly_cost, io1.monthly_cost_after) == (712.5, 75.0)
    assert YAML[io1.span.start : io1.span.end] == '"io1"'
    assert {f.resource for f in rules["ebs-gp2-to-gp3"]} == {
        "Scratch",
        "Web",
    }  # ProdOnly's condition is false
    prev = rules["ec2-previous-generation"][0]
    assert prev.current == "m3.large" and "Default of parameter 'InstanceType'" in prev.message
    assert YAML[prev.fix[0].span.start : prev.fix[0].span.end] == "m3.large"
    assert prev.fix[0].span.line == 4  # the Default, not the AllowedValues list
    assert [f.resource for f in rules["eip-unattached"]] == ["Ip"]  # NatIp is used through !GetAtt
    assert "cloudwatch-log-retention" in rules
    assert "ProdOnly" not in {r.address for r in a.resources}


def test_yaml_fixes_round_trip_and_keep_style(tmp_path: Path):
    a = lint(tmp_path, {"stack.yaml": YAML})
    rules = by_rule(a)
    for rule in ("ebs-io1-to-gp3", "cloudwatch-log-retention"):
        apply(rules[rule][0])
    scratch = next(f for f in rules["ebs-gp2-to-gp3"] if f.resource == "Scratch")
    apply(scratch)
    text = (tmp_path / "stack.yaml").read_text()
    assert 'VolumeType: "gp3"' in text  # quoting kept
    assert "      Size: 100\n      VolumeType: gp3\n" in text  # inserted in the block's indentation
    assert '      LogGroupName: !Sub "/app/${Env}"\n      RetentionInDays: 30\n' in text
    after = by_rule(lint(tmp_path, {}))
    assert "ebs-io1-to-gp3" not in after and "cloudwatch-log-retention" not in after
    assert [f.resource for f in after.get("ebs-gp2-to-gp3", [])] == ["Web"]
    assert not lint(tmp_path, {}).errors


def test_parameters_from_cli_and_file(tmp_path: Path):
    a = lint(tmp_path, {"stack.yaml": YAML}, cli_vars={"InstanceType": "t2.micro"})
    assert "ec2-previous-generation" not in by_rule(a)
    params = tmp_path / "params.json"
    params.write_text(json.dumps([{"ParameterKey": "Env", "ParameterValue": "prod"}]))
    a = lint(tmp_path, {}, var_files=[str(params)])
    assert "ProdOnly" in {r.address for r in a.resources}


def test_json_template_and_insert(tmp_path: Path):
    doc = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "V": {"Type": "AWS::EC2::Volume", "Properties": {"Size": 100, "AvailabilityZone": "us-east-1a"}},
            "Db": {
                "Type": "AWS::RDS::DBInstance",
                "Properties": {
                    "Engine": "mysql",
                    "DBInstanceClass": "db.m4.large",
                    "AllocatedStorage": "100",
                },
                "Metadata": {"advisor": {"ignore": ["rds-graviton"]}},
            },
        },
    }
    text = json.dumps(doc, indent=2)
    a = lint(tmp_path, {"stack.json": text})
    rules = by_rule(a)
    assert "rds-previous-generation" in rules and "rds-graviton" not in rules
    gp2 = rules["ebs-gp2-to-gp3"][0]
    apply(gp2)
    fixed = json.loads((tmp_path / "stack.json").read_text())
    assert fixed["Resources"]["V"]["Properties"]["VolumeType"] == "gp3"
    assert "ebs-gp2-to-gp3" not in by_rule(lint(tmp_path, {}))


def test_sam_function_globals_and_short_tags(tmp_path: Path):
    sam = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    MemorySize: 1024
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
  Arm:
    Type: AWS::Serverless::Function
    Properties:
      Architectures: [arm64]
"""
    a = lint(tmp_path, {"template.yaml": sam})
    api = next(r for r in a.resources if r.address == "Api")
    assert api.type == "aws_lambda_function" and api.source_type == "AWS::Serverless::Function"
    assert api.attr("memory_size").value == 1024
    assert [f.resource for f in a.findings if f.rule == "lambda-arm64"] == ["Api"]
    assert {c.address for c in a.costs} == {"Api", "Arm"}


def test_anchors_multi_document_and_yaml_comment_ignore(tmp_path: Path):
    text = """\
---
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  A:
    Type: AWS::EC2::Volume
    Properties: &vol
      VolumeType: gp2
      Size: 10
  B:
    Type: AWS::EC2::Volume
    Properties: *vol
---
other: document
"""
    a = lint(tmp_path, {"stack.yml": text})
    # B's properties are A's text: one finding on that text, counting both volumes
    (f,) = a.findings
    assert f.rule == "ebs-gp2-to-gp3" and f.monthly_cost == 2.0 and "for 2 instances" in f.message
    ignored = text.replace("  A:\n", "  # advisor:ignore ebs-gp2-to-gp3 -- shared on purpose\n  A:\n")
    assert lint(tmp_path, {"stack.yml": ignored}).findings == []


def test_broken_resource_costs_only_itself(tmp_path: Path):
    text = YAML.replace("      Size: 100\n", "      Size: [100\n", 1)
    a = lint(tmp_path, {"stack.yaml": text})
    assert a.errors and a.errors[0].span is not None
    assert "invalid YAML" in a.errors[0].message
    addresses = {r.address for r in a.resources}
    assert "DataVolume" in addresses and "Web" in addresses and "Scratch" not in addresses


def test_unparsable_json_is_one_parse_error(tmp_path: Path):
    a = lint(tmp_path, {"stack.json": '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {'})
    assert len(a.errors) == 1 and a.errors[0].span is not None
    assert [f.rule for f in a.findings] == ["parse-error"]


@pytest.mark.parametrize(
    "text",
    ["name: my-app\nservices:\n  - web\n", '{"compilerOptions": {"strict": true}}', "key: [unclosed\n"],
)
def test_other_yaml_and_json_is_ignored_silently(tmp_path: Path, text: str):
    a = lint(tmp_path, {"config.yaml" if not text.startswith("{") else "tsconfig.json": text})
    assert not a.findings and not a.errors and not a.files


BOOLEAN_CONDITION = """\
Parameters:
  EBSEnabled:
    Type: String
    AllowedValues: [true, false]
    Default: true
Conditions:
  HasEBS: !Equals [!Ref EBSEnabled, 'true']
  NoEBS: !Equals [!Ref EBSEnabled, false]
Resources:
  Data:
    Type: AWS::EC2::Volume
    Condition: HasEBS
    Properties:
      AvailabilityZone: us-east-1a
      Size: 100
      VolumeType: gp2
  Never:
    Type: AWS::EC2::Volume
    Condition: NoEBS
    Properties:
      AvailabilityZone: us-east-1a
      Size: 100
      VolumeType: gp2
"""


def test_a_yaml_boolean_compares_as_cloudformations_string(tmp_path: Path) -> None:
    """Parameters are strings in CloudFormation: `Default: true` equals 'true' and `false` is "false"."""
    a = lint(tmp_path, {"stack.yaml": BOOLEAN_CONDITION})
    assert {r.address for r in a.resources} == {"Data"}
    (gp2,) = by_rule(a)["ebs-gp2-to-gp3"]
    assert gp2.resource == "Data" and (gp2.monthly_cost, gp2.monthly_cost_after) == (10.0, 8.0)


NESTED_STACK = """\
Mappings:
  Sizes:
    us-east-1:
      Db: db.m4.large
    eu-west-1:
      Db: db.m5.large
Resources:
  Child:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: https://s3.amazonaws.com/example/child.template
      Parameters:
        InstanceType: t1.micro
        DatabaseSize: !FindInMap [Sizes, !Ref "AWS::Region", Db]
        KeyName: mykey
"""


def test_values_passed_to_a_nested_stack_are_checked_where_written(tmp_path: Path) -> None:
    """A nested stack's template is not read (it is a URL), but the instance types its parameters pass
    on are choices written here: flagged per instance-hour (us-east-1: t1.micro $0.02/h, t3a.micro
    $0.0094/h), fixed where written (the mapping entry of the deployment region), never priced."""
    a = lint(tmp_path, {"stack.yaml": NESTED_STACK})
    rules = by_rule(a)
    (t1,) = rules["ec2-previous-generation"]
    assert t1.resource == "Child" and t1.monthly_cost is None and t1.monthly_savings is None
    assert "t1.micro $0.02/h → t3a.micro $0.0094/h per instance" in t1.message
    assert "nested stack" in t1.message
    (db,) = rules["rds-previous-generation"]
    assert db.current == "db.m4.large" and db.fix[0].span.line == 3  # the us-east-1 entry (0-based)
    apply(t1)
    apply(db)
    again = lint(tmp_path, {})
    assert not [f for f in again.findings if f.rule.endswith("previous-generation")]
    assert {r.address for r in again.resources} == {"Child"} and again.monthly_cost == 0


REGION_MAP = """\
Mappings:
  Sizes:
    us-east-1:
      Web: m5.large
    eu-west-1:
      Web: m4.large
    ap-south-1:
      Web: m5.large
  AMIs:
    us-east-1:
      Id: ami-0123456789abcdef0
    eu-west-1:
      Id: ami-0fedcba9876543210
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: !FindInMap [AMIs, !Ref "AWS::Region", Id]
      InstanceType: !FindInMap [Sizes, !Ref "AWS::Region", Web]
"""


def test_a_region_mappings_other_entries_are_checked_in_their_regions(tmp_path: Path) -> None:
    """The template deploys m5.large in us-east-1 but m4.large in eu-west-1: that entry gets its own
    finding at its line, with eu-west-1 prices (m4.large $0.111/h → m5a.large $0.096/h: $81.03 →
    $70.08 a month), counted in no total; the us-east-1 figures and the resource count are unchanged."""
    a = lint(tmp_path, {"stack.yaml": REGION_MAP})
    prev = [f for f in a.findings if f.rule == "ec2-previous-generation"]
    assert len(prev) == 1
    (f,) = prev
    assert f.resource == "Web" and f.current == "m4.large" and f.span.line == 5  # 0-based: eu-west-1's
    assert f.message.startswith("eu-west-1: m4.large → m5a.large")
    assert f.monthly_cost is None and f.monthly_savings is None
    assert [(u.unit, u.before, u.after) for u in f.unit_savings or []] == [
        ("month in eu-west-1", 81.03, 70.08)
    ]
    assert [r.address for r in a.resources] == ["Web"]
    # ap-south-1's m5.large is its own choice, at its own line, with ap-south-1's figures
    (south,) = [g for g in a.findings if g.span.line == 7]
    assert south.message.startswith("ap-south-1: m5.large → ") and south.monthly_savings is None
    # only the deployment region's finding counts: us-east-1 m5.large $70.08 → m6g.large $56.21
    assert a.monthly_savings == 13.87
