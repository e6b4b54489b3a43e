"""Print products: page kit, map content, drawing, the map sheet, the committee report, tiles."""
