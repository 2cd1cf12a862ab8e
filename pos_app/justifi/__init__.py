"""justifi layer (see ARCHITECTURE.md)."""
