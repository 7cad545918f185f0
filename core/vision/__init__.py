"""Images: the safe loader for uploads (the captioning and VQA work builds on it)."""
