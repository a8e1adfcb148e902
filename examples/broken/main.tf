# A file being edited: the second block is incomplete, the others are still checked.
resource "aws_ebs_volume" "ok" {
  availability_zone = "us-east-1a"
  type              = "gp2"
  size              = 20
  tags              = { team = "demo" }
}

resource "aws_instance" "half_typed" {
  instance_type = 
}

resource "aws_ebs_volume" "also_ok" {
  availability_zone = "us-east-1a"
  type              = "gp3"
  size              = 20
  tags              = { team = "demo" }
}
