//! Power: the electrical network (MATPOWER layout), its readers and writers, and the
//! DC power flow.

pub mod dcpf;
pub mod expr;
pub mod facility_net;
pub mod matpower;
pub mod network;
pub mod output;
pub mod validate;

pub use dcpf::{DcPowerFlow, DcResult};
pub use network::Network;
