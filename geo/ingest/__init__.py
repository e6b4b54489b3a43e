"""Raw tables to validated layers with one report: columns, offers, schools, districts, indicators, changes."""

from geo.ingest.check import KINDS, OPTIONS, UploadCheck, check_upload, commit_upload, max_upload_bytes
from geo.ingest.definitions import commit_definitions, edit_definitions, parse_indicator_options

__all__ = [
    "KINDS", "OPTIONS", "UploadCheck", "check_upload", "commit_definitions", "commit_upload", "edit_definitions",
    "max_upload_bytes", "parse_indicator_options",
]
