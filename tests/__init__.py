"""Tests for PolicyWatch, mirroring the packages.

Store tests run against both SQLite and PostgreSQL; crawl tests run real
Scrapy crawls against the fixture site served on 127.0.0.1.
"""
