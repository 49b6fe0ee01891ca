//! Behaviour and UI tests of apifault; the tests live in `tests/` and `ui/`.
