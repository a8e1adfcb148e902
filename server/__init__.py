"""Advisor: a cost-aware Infrastructure-as-Code advisor (Terraform, CloudFormation)."""

__version__ = "0.1.0"
