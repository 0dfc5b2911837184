"""Data-protection requests about one person: export everything held about them, or erase them."""
