# Development VPC: one NAT gateway per availability zone, copied from the production layout.
provider "aws" {
  region = "us-east-1"
}

variable "azs" {
  type    = list(string)
  default = ["us-east-1a", "us-east-1b", "us-east-1c"]
}

resource "aws_eip" "nat" {
  count  = length(var.azs)
  domain = "vpc"
  tags   = { team = "platform", environment = "dev" }
}

resource "aws_nat_gateway" "per_az" {
  count         = length(var.azs)
  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = "subnet-${count.index}"
  tags          = { team = "platform", environment = "dev" }
}

# Reserved for a bastion that was never built.
resource "aws_eip" "bastion" {
  domain = "vpc"
  tags   = { environment = "dev" }
}

# advisor:ignore eip-unattached -- kept for the partner allow-list
resource "aws_eip" "partner_allowlist" {
  domain = "vpc"
  tags   = { team = "platform" }
}
