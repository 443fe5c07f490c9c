"""The package's version: pyproject.toml reads it from here (``[tool.setuptools.dynamic]``).

A plain constant, so ``swb --version`` and the window's title need no ``importlib.metadata``
(which costs more to import than the rest of ``swb --version`` together).
"""

__version__ = "0.1.0"
