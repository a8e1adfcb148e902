# Managed data services on previous-generation types (see docs/rules/*-previous-generation.md).

provider "aws" {
  region = "us-east-1"
}

resource "aws_opensearch_domain" "logs" {
  domain_name = "logs"
  tags        = { team = "data" }

  cluster_config {
    instance_type  = "t2.small.search"
    instance_count = 2
  }

  ebs_options {
    ebs_enabled = true
    volume_type = "gp2"
    volume_size = 100
  }
}

resource "aws_docdb_cluster_instance" "catalog" {
  cluster_identifier = "catalog"
  instance_class     = "db.r4.large"
  tags               = { team = "data" }
}

resource "aws_neptune_cluster_instance" "graph" {
  cluster_identifier = "graph"
  instance_class     = "db.r4.xlarge"
  tags               = { team = "data" }
}

resource "aws_redshift_cluster" "warehouse" {
  cluster_identifier = "warehouse"
  node_type          = "dc1.large"
  number_of_nodes    = 2
  tags               = { team = "data" }
}

resource "aws_msk_cluster" "events" {
  cluster_name           = "events"
  kafka_version          = "3.6.0"
  number_of_broker_nodes = 3
  tags                   = { team = "data" }

  broker_node_group_info {
    instance_type = "kafka.m5.large"
  }
}
