"""The live workbook: writing it (every model row as Excel formulas, FAST layout) and reading it back."""
