"""Reading files: text and number parsing, spreadsheets (CSV/XLSX), safe archives, boundaries (OGR)."""
