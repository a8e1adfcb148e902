# Staging: a VPC with one NAT gateway, and a database created with the production settings.
provider "aws" {
  region = "us-east-1"

  default_tags {
    tags = { team = "orders", environment = "staging" }
  }
}

resource "aws_vpc" "staging" {
  cidr_block = "10.20.0.0/16"
}

resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.staging.id
  cidr_block = "10.20.0.0/24"
}

resource "aws_eip" "nat" {
  domain = "vpc"
}

resource "aws_nat_gateway" "main" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public.id
}

resource "aws_db_instance" "orders" {
  identifier        = "orders-staging"
  engine            = "postgres"
  instance_class    = "db.m6g.large"
  allocated_storage = 50
  storage_type      = "gp3"
  multi_az          = true
}
