"""Reading files: text and number parsing, spreadsheets (CSV/XLSX), safe archives, boundaries (OGR)."""

from geo.io.boundaries import BOUNDARY_SUFFIXES, read_boundaries
from geo.io.spreadsheets import EXCEL_ROW, EXPLANATION_SHEET, TABLE_SUFFIXES, read_table
from geo.io.text import parse_number

__all__ = [
    "BOUNDARY_SUFFIXES", "EXCEL_ROW", "EXPLANATION_SHEET", "TABLE_SUFFIXES", "parse_number", "read_boundaries",
    "read_table",
]
