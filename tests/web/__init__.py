"""Tests of the web layer: pages, the REST API and its contract."""
