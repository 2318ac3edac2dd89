"""The family page: natural frequencies in plain words, icon arrays and the printable report."""
