provider "aws" {
  region = "us-east-1"
}

locals {
  common_tags = {
    team    = "web"
    service = "storefront"
  }
}

resource "aws_instance" "web" {
  count         = var.web_count
  ami           = "ami-0c55b159cbfafe1f0" # al2-gp2-x86_64 image: names like this never trigger a rule
  instance_type = var.web_instance_type

  root_block_device {
    volume_type = "gp2"
    volume_size = 50
  }

  tags = merge(local.common_tags, { Name = "web-${count.index}" })
}

resource "aws_launch_template" "worker" {
  name_prefix   = "worker-"
  image_id      = "ami-0c55b159cbfafe1f0"
  instance_type = var.worker_instance_type

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_type = "gp2"
      volume_size = 100
    }
  }

  tags = local.common_tags
}

resource "aws_autoscaling_group" "worker" {
  desired_capacity = 4
  max_size         = 8
  min_size         = 2

  launch_template {
    id      = aws_launch_template.worker.id
    version = "$Latest"
  }
}

resource "aws_eks_cluster" "main" {
  name     = "storefront"
  role_arn = "arn:aws:iam::123456789012:role/eks"
  version  = "1.29"

  vpc_config {
    subnet_ids = ["subnet-1", "subnet-2"]
  }

  tags = local.common_tags
}

resource "aws_eks_node_group" "general" {
  cluster_name    = aws_eks_cluster.main.name
  node_group_name = "general"
  node_role_arn   = "arn:aws:iam::123456789012:role/nodes"
  subnet_ids      = ["subnet-1", "subnet-2"]
  instance_types  = ["m5.xlarge"]

  scaling_config {
    desired_size = 3
    max_size     = 6
    min_size     = 1
  }

  tags = local.common_tags
}
