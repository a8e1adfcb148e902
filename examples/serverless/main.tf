provider "aws" {
  region = "eu-west-1"

  default_tags {
    tags = { team = "payments" }
  }
}

resource "aws_lambda_function" "checkout" {
  function_name = "checkout"
  role          = "arn:aws:iam::123456789012:role/lambda"
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "build/checkout.zip"
  memory_size   = 1024
}

resource "aws_lambda_function" "refunds" {
  function_name = "refunds"
  role          = "arn:aws:iam::123456789012:role/lambda"
  runtime       = "nodejs20.x"
  handler       = "index.handler"
  filename      = "build/refunds.zip"
  memory_size   = 512
  architectures = ["x86_64"]
}

resource "aws_cloudwatch_log_group" "checkout" {
  name = "/aws/lambda/checkout"
}

resource "aws_cloudwatch_log_group" "refunds" {
  name              = "/aws/lambda/refunds"
  retention_in_days = 14
}
