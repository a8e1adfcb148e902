"""Property tests: mutated IaC text never raises, and every position stays inside the text.

CI runs a fixed seed with a modest number of examples; for a longer local run:
`ADVISOR_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py -p no:cacheprovider`.
"""

from __future__ import annotations

import os

from advisor.iac.cloudformation import evaluate_template, load_nodes
from advisor.iac.hcl_parse import parse_hcl
from advisor.iac.hcl_scanner import split_top_level
from advisor.iac.terraform import Settings
from advisor.model import Span
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("ADVISOR_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HCL_SEED = """\
variable "size" {
  default = "m5.large"
}
locals {
  tags = { team = "a", "cost-center" = "42" }
  name = "app-${var.size}"
}
resource "aws_instance" "web" {
  count         = 2
  instance_type = var.size == "x" ? "t3.micro" : var.size
  root_block_device {
    volume_type = "gp2" # comment
  }
  user_data = <<-EOF
    #!/bin/sh
    echo "${local.name}" }
  EOF
  tags = merge(local.tags, { Name = "web-${count.index}" })
}
/* block
comment */
resource "aws_ebs_volume" "v" {
  type = "io1"
  size = 500
  iops = 10000
}
"""

CFN_SEED = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Size: {Type: Number, Default: 100}
Conditions:
  Big: !Equals [!Ref Size, 100]
Resources:
  V:
    Type: AWS::EC2::Volume
    Condition: Big
    Properties:
      VolumeType: io1
      Size: !Ref Size
      Iops: !If [Big, 5000, 100]
      Tags: [{Key: team, Value: !Sub "${AWS::Region}-x"}]
  F:
    Type: AWS::Serverless::Function
    Properties: {MemorySize: 512, Architectures: [x86_64]}
"""


def mutate(draw: st.DrawFn, text: str) -> str:
    ops = draw(
        st.lists(st.sampled_from(["cut", "flip", "insert", "delete", "brace", "nest", "unicode"]), max_size=6)
    )
    for op in ops:
        if not text:
            break
        i = draw(st.integers(0, len(text)))
        if op == "cut":
            text = text[:i]
        elif op == "flip" and i < len(text):
            text = text[:i] + chr((ord(text[i]) ^ draw(st.integers(1, 127))) or 1) + text[i + 1 :]
        elif op == "insert":
            text = (
                text[:i]
                + draw(
                    st.sampled_from(
                        ['"', "{", "}", "[", "]", "${", "<<EOF\n", "#", "/*", "\n", "\r\n", "!Ref ", ":"]
                    )
                )
                + text[i:]
            )
        elif op == "delete":
            j = draw(st.integers(i, min(len(text), i + 40)))
            text = text[:i] + text[j:]
        elif op == "brace":
            text = text[:i] + "{" * draw(st.integers(1, 30)) + text[i:]
        elif op == "nest":
            depth = draw(st.integers(50, 400))
            text = text[:i] + "[" * depth + "]" * depth + text[i:]
        elif op == "unicode":
            text = text[:i] + draw(st.text(min_size=1, max_size=8)) + text[i:]
    return text


@st.composite
def hcl_texts(draw: st.DrawFn) -> str:
    return mutate(draw, HCL_SEED)


@st.composite
def cfn_texts(draw: st.DrawFn) -> str:
    return mutate(draw, CFN_SEED)


def inside(span: Span | None, text: str) -> bool:
    if span is None:
        return True
    lines = text.split("\n")
    if not (0 <= span.line < len(lines) and 0 <= span.end_line < len(lines)):
        return False
    if span.start >= 0 and not (0 <= span.start <= span.end <= len(text)):
        return False
    return 0 <= span.column <= len(lines[span.line]) + 1


@seed(20261127)
@FUZZ
@given(hcl_texts())
def test_hcl_never_raises_and_spans_stay_inside(text: str) -> None:
    chunks = split_top_level(text)
    for c in chunks:
        assert text[c.start : c.end] == c.text
    parsed = parse_hcl("fuzz.tf", text)
    for e in parsed.errors:
        assert inside(e.span, text), e
    for pi in parsed.items:
        assert 0 <= pi.at.chunk.start <= pi.at.chunk.end <= len(text)


@seed(20261127)
@FUZZ
@given(hcl_texts())
def test_terraform_module_evaluation_never_raises(text: str) -> None:
    import tempfile

    from advisor.iac.terraform import evaluate_root

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "main.tf")
        with open(path, "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write(text)
        result = evaluate_root(d, Settings(), lambda p: text if p == path else None)
        for r in result.resources:
            for v in r.body.attributes.values():
                assert inside(v.span, text)


@seed(20261127)
@FUZZ
@given(cfn_texts())
def test_cloudformation_never_raises_and_spans_stay_inside(text: str) -> None:
    _docs, errors = load_nodes("fuzz.yaml", text)
    for e in errors:
        assert inside(e.span, text), e
    result = evaluate_template("fuzz.yaml", text, Settings(), lambda p: None)
    for r in result.resources:
        assert inside(r.span, text)
        for v in r.body.attributes.values():
            assert inside(v.span, text)
            assert inside(v.origin, text)


@seed(20261127)
@FUZZ
@given(st.text(max_size=400))
def test_arbitrary_text(text: str) -> None:
    parse_hcl("any.tf", text)
    load_nodes("any.json", text)
    evaluate_template("any.yaml", text, Settings(), lambda p: None)


@seed(20261128)
@FUZZ
@given(hcl_texts(), hcl_texts())
def test_incremental_scan_equals_full_scan(old: str, new: str) -> None:
    """Rescanning only around the change gives exactly the chunks of a full scan (both ways, and for
    texts that share most of their characters)."""
    for a, b in ((old, new), (new, old), (HCL_SEED + old, HCL_SEED + new), (old + HCL_SEED, new + HCL_SEED)):
        assert split_top_level(b, (a, split_top_level(a))) == split_top_level(b)
