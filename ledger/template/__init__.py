"""The books template that ``aidbooks init`` copies (data files, rendered with Jinja2)."""
