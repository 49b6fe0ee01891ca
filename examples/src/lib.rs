//! The five documented APIs of apifault's proving ground: for each, a typed
//! error enum (`#[derive(ApiError)]` next to thiserror and serde), a small
//! client built with reqwest and `#[apifault::retry]`, and an emulator (an
//! axum server on loopback, serving the documented responses with
//! apifault's own `IntoResponse`, scriptable with faults).

pub mod digest;
pub mod emulator;
pub mod fleet;
pub mod mediagenix;
pub mod redis_server;
pub mod tour;

/// BeBanjo: the On-Demand contract under another name, so the same enum
/// and client; its page has no section on rate-limit headers, so its
/// emulator sends none, and its tour shows the client without them.
pub mod bebanjo {
    pub use crate::mediagenix::{
        OnDemandClient as BeBanjoClient, OnDemandError as BeBanjoError,
        bebanjo_scenarios as scenarios, documented_policy, router, start_bebanjo as start,
    };
}
pub mod lightcast;
pub mod mediamagic;
pub mod omilia;
