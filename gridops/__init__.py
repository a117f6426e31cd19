"""gridops: grid-trading market makers run by a Kubernetes operator."""

from importlib import metadata

try:
    __version__ = metadata.version("gridops")
except metadata.PackageNotFoundError:  # running from a checkout without an install
    __version__ = "0.0.0+unknown"
