provider "aws" {
  region = "us-east-1"
}

variable "instance_type" {
  default = "m4.large"
}

module "storage" {
  source      = "../../modules/a-storage-module-whose-folder-name-is-long-enough-to-fill-a-line"
  volume_type = "io1"
}

module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.0.0"
}

resource "aws_instance" "web" {
  count         = 2
  ami           = "ami-12345678"
  instance_type = var.instance_type
}

resource "aws_cloudwatch_log_group" "app" {
  name = "app"
}

resource "random_id" "suffix" {
  count       = 2
  byte_length = 4
}

resource "null_resource" "migrate" {}

resource "time_sleep" "settle" {
  count           = 3
  create_duration = "30s"
}
