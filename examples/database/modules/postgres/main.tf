variable "instance_class" {
  type = string
}

variable "allocated_storage" {
  type    = number
  default = 100
}

resource "aws_db_instance" "this" {
  identifier        = "orders"
  engine            = "postgres"
  engine_version    = "16.3"
  instance_class    = var.instance_class
  allocated_storage = var.allocated_storage
  storage_type      = "gp2"
  multi_az          = true
  username          = "orders"
  password          = "change-me-in-secrets-manager"
}
