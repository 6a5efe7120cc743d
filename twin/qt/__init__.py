"""The thin PySide6 shell around the headless core."""
