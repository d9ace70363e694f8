"""The Qt desktop app (PySide6): windows, panels, item models and the background-work helper.

It reaches data only through ``kam_console`` services; ``kam_console`` never imports Qt.
"""
