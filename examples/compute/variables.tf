variable "web_instance_type" {
  description = "Instance type of the web tier"
  type        = string
  default     = "t3.medium"
}

variable "web_count" {
  type    = number
  default = 2
}

variable "worker_instance_type" {
  type    = string
  default = "c3.xlarge"
}
