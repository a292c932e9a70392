"""The write pipeline (issue 15): preview -> confirm -> apply -> journal -> undo.

``changes`` holds the plain shapes and rules (no database), ``store`` the SQL store behind the
:class:`~app.writes.changes.WriteStore` interface the MCP layer hands to tools. docs/writes.md.
"""
