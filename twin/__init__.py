"""Dresden urban twin: a headless core (core, io, sim), a renderer and a thin Qt shell."""

__version__ = "0.1.0"
