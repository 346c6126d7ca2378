"""The finmodel version, in a module of its own so that any module can say which version wrote an output without
importing the package root (whose lazy public API sits on top of everything: see finmodel/__init__.py)."""

__version__ = "0.1.0"
