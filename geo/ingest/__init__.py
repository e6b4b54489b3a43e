"""From raw tables to validated layers with one report: columns, offers, districts, indicators, check, commit."""

from geo.ingest.check import KINDS, OPTIONS, UploadCheck, check_upload, commit_upload

__all__ = ["KINDS", "OPTIONS", "UploadCheck", "check_upload", "commit_upload"]
