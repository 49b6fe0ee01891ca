//! Compile errors of `#[derive(ApiError)]`, `#[derive(apifault::IntoResponse)]`
//! and `#[apifault::retry]` (`tests/ui/*.rs` with the expected `.stderr`), and
//! pass cases covering every attribute (`tests/ui/pass/*.rs`). Regenerate the
//! `.stderr` files with `TRYBUILD=overwrite` only after reading the new output.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("ui/pass/*.rs");
    t.compile_fail("ui/*.rs");
}
