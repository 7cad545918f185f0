"""The first part of the lecture: the vanilla recurrence, its unrolled shapes and the "hello" toy."""
