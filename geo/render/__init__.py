"""Everything drawn or tabled from a result: palette, tables, provenance; web/ and print/."""
