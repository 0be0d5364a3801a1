"""lgkg: a knowledge-graph builder for Chinese legal-governance reports."""

__version__ = "0.1.0"
