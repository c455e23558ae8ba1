"""Figures: one style (:mod:`.style`), run figures (:mod:`.run`), sweep figures (:mod:`.sweep`)."""
