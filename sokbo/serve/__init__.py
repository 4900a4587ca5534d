"""`sokbo serve`: a read-only status web application over the store and the config."""
