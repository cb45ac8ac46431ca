"""Sweeps: job outcomes, the sweep summary, and the pieces of litlab's Optuna search."""
