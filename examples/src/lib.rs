//! The five documented APIs of apifault's proving ground: for each, a typed
//! error enum (`#[derive(ApiError)]` next to thiserror and serde), a small
//! client built with reqwest and `#[apifault::retry]`, and an emulator (an
//! axum server on loopback, serving the documented responses with
//! apifault's own `IntoResponse`, scriptable with faults).

pub mod emulator;
pub mod mediagenix;
pub mod tour;

/// BeBanjo: the On-Demand contract under another name, so the same enum,
/// client and emulator.
pub mod bebanjo {
    pub use crate::mediagenix::{
        OnDemandClient as BeBanjoClient, OnDemandError as BeBanjoError, documented_policy, router,
        scenarios, start,
    };
}
pub mod lightcast;
pub mod mediamagic;
pub mod omilia;
