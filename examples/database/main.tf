provider "aws" {
  region = "us-east-1"

  default_tags {
    tags = { team = "orders" }
  }
}

module "orders_db" {
  source            = "./modules/postgres"
  instance_class    = "db.m4.large"
  allocated_storage = 200
}

resource "aws_db_instance" "reports" {
  identifier        = "reports"
  engine            = "mysql"
  engine_version    = "5.7.44"
  instance_class    = "db.m6g.large"
  allocated_storage = 200
  storage_type      = "io1"
  iops              = 3000
}

resource "aws_elasticache_cluster" "sessions" {
  cluster_id      = "sessions"
  engine          = "redis"
  node_type       = "cache.m3.large"
  num_cache_nodes = 1
}

resource "aws_elasticache_replication_group" "catalog" {
  replication_group_id = "catalog"
  description          = "product catalog cache"
  engine               = "redis"
  node_type            = "cache.r5.large" // advisor:ignore ebs-gp2-to-gp3 -- stale comment, reported as unused
  num_cache_clusters   = 2
}
