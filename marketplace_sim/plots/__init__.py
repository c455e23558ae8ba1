"""Figures: one style (palette, rc, figure factory), run figures and sweep figures."""
