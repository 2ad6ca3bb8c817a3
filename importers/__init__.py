"""aidbooks.importers: beangulp importers for the platforms mutual-aid funds use."""
