"""The widget's command table and the commands of each feature, one module each.

``COMMANDS`` maps a command name to its handler and declared arguments
(``widget_protocol``). ``widget.py`` registers the document and toolbar commands as its own
methods; the experiment loop's features (settings, runs, history, evaluation, ...) register
theirs in the modules of this package, as plain functions of the widget. A feature module
never imports ``widget.py`` (the widget imports them), so there is no cycle.

A handler gets ``(widget, request_id, **checked_args)`` and returns the reply's ``result``
(plain JSON) or raises ``ProtocolError``. It only translates: the work is done by the
Jupyter-free core (store, training, design modules) it calls.
"""

from __future__ import annotations

from modelstudio_widget.widget_protocol import CommandTable

COMMANDS = CommandTable()
