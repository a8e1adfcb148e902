# Block storage for the analytics pipeline.
provider "aws" {
  region = "us-east-1"

  default_tags {
    tags = {
      team = "data"
    }
  }
}

# Scratch space for the nightly batch: provisioned IOPS that gp3 can deliver.
resource "aws_ebs_volume" "scratch" {
  availability_zone = "us-east-1a"
  type              = "io1"
  size              = 500
  iops              = 10000
}

# Database volume that needs more IOPS than gp3 offers.
resource "aws_ebs_volume" "ledger" {
  availability_zone = "us-east-1a"
  type              = "io1"
  size              = 1000
  iops              = 40000
}

# Old general-purpose volume.
resource "aws_ebs_volume" "archive" {
  availability_zone = "us-east-1b"
  type              = "gp2"
  size              = 2000
}

resource "aws_ebs_volume" "legacy" {
  availability_zone = "us-east-1b"
  type              = "standard"
  size              = 200
}

# Already on gp3: nothing to report.
resource "aws_ebs_volume" "logs" {
  availability_zone = "us-east-1c"
  type              = "gp3"
  size              = 100
}
