"""Web-level helpers with no sokbo vocabulary: decoding bytes to text, URLs, HTTP dates,
sniffing what a body really is, and parsing HTML into trees. The lowest layer."""
