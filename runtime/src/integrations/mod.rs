//! Glue to other crates, each behind its feature and named as its public
//! module: HTTP clients (`reqwest`, `middleware` for reqwest-middleware),
//! servers (`axum`: the `IntoResponse` derive's runtime side), service
//! stacks (`tower`) and shared stores (`redis`). What they build on
//! (classification, the engine, the throttle) lives outside, and knows
//! nothing of them.

#[cfg(feature = "axum")]
pub(crate) mod axum;
#[cfg(feature = "reqwest-middleware")]
pub mod middleware;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(feature = "reqwest")]
pub mod reqwest;
#[cfg(feature = "tower")]
pub mod tower;
