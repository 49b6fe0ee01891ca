//! Holds no code: its tests compile the UI cases in `tests/ui/`.
