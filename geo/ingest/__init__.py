"""Raw tables to validated layers with one report: columns, offers, schools, districts, indicators, changes."""

from geo.ingest.check import KINDS, OPTIONS, UploadCheck, check_upload, commit_upload, max_upload_bytes

__all__ = ["KINDS", "OPTIONS", "UploadCheck", "check_upload", "commit_upload", "max_upload_bytes"]
