resource "aws_db_instance" "ledger" {
  engine            = "postgres"
  instance_class    = "db.m4.large"
  allocated_storage = 200
  storage_type      = "gp2"
  multi_az          = true
}

resource "aws_nat_gateway" "egress" {
  allocation_id = "eipalloc-12345678"
  subnet_id     = "subnet-12345678"
}

resource "aws_lambda_function" "invoice_renderer" {
  function_name = "invoice-renderer"
  runtime       = "python3.12"
  handler       = "app.handler"
  role          = "arn:aws:iam::123456789012:role/renderer"
  filename      = "renderer.zip"
  memory_size   = 1024
}
