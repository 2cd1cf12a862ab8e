"""Counter point-of-sale for card-present payments on JustiFi."""

# The same as pyproject.toml's version (a test holds them together). A constant,
# because reading the installed metadata costs the till's start-up about 40 ms.
__version__ = "0.1.0"
