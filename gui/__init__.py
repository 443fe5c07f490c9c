"""Socket Workbench's desktop app: PySide6 widgets over the Qt-free ``net`` engine.

Every socket lives in :mod:`net`; a :class:`gui.runner.Runner` runs its blocking loop on a QThread,
so the window never waits on the network.
"""
