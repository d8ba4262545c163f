"""PlantDesk: IT service management for manufacturing and regulated plants."""

__version__ = "0.1.0"
