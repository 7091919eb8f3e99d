"""One module per crash command family; each registers its commands with crashsh.registry."""
