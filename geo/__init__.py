"""Präventionsatlas analysis package: need, reach and gaps of preventive offers per district."""
