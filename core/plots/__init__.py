"""Plotly figure builders: pure functions from data to go.Figure, one module per page family."""
