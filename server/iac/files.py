"""Which files are which, by name: Terraform, variable definitions, possible CloudFormation templates.

A leaf module, so that finding and sorting files imports nothing of the parsers.
"""

from __future__ import annotations


def is_terraform_file(path: str) -> bool:
    return path.endswith((".tf", ".tf.json"))


def is_tfvars_file(path: str) -> bool:
    return path.endswith((".tfvars", ".tfvars.json"))


def is_template_candidate(name: str) -> bool:
    """A file that may be a CloudFormation template (its content decides)."""
    return name.endswith((".yaml", ".yml", ".template", ".json")) and not name.endswith(
        (".tf.json", ".tfvars.json")
    )
