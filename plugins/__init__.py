"""aidbooks.plugins: the ground floor — the rules of the books and their vocabulary.

This package holds the fund's policy model (:mod:`.policy`), the code scheme for
recipients, volunteers and donors (:mod:`.codes`), the keyed derivation of codes
(:mod:`.keys`), the shared error types (:mod:`.errors`) and the Beancount plugins
that enforce the rules. Every plugin runs unchanged in ``bean-check``, Fava and
``aidbooks check``.

This floor imports nothing from ``aidbooks.importers``, ``aidbooks.reports`` or the
faces in ``aidbooks`` itself, and knows nothing of command lines or rendering.
"""
