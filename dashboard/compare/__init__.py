"""The tumour-board page: one run of several plans, its tables, charts and a typical operation."""
