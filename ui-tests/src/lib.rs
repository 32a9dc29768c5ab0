//! trybuild cases live in `pass/` and `fail/`; this crate has no library code.
