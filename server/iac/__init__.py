"""IaC front-ends: text in, the neutral model out."""
