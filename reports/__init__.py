"""Reporting side of the suite: results per item, terminal table, HTML and JUnit customisation."""
