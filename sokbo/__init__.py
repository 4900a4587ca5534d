"""sokbo: breaking-news sources to Jekyll posts and feeds."""

__version__ = "0.1.0"
