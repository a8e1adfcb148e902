variable "volume_type" {
  default = "gp2"
}

resource "aws_ebs_volume" "an_extremely_long_resource_name_that_no_terminal_of_eighty_columns_can_hold" {
  availability_zone = "us-east-1a"
  type              = var.volume_type
  size              = 500
  iops              = 10000
}
