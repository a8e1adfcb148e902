web_instance_type = "m4.large"
web_count         = 3
