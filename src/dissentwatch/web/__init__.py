"""web: the analyst app over the store (``dissentwatch.web.app.create_app``), needs the ``web`` extra."""
