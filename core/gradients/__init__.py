"""Gradients through time: the flow of ∂L/∂h_t by hand, the memory task, clipping and truncated BPTT."""
