//! Power: the electrical network (MATPOWER layout), its readers and writers, and the
//! DC and AC power flow.

pub mod ac_output;
pub mod acpf;
pub mod chol;
pub mod contingency;
pub mod dcpf;
pub mod expr;
pub mod facility_net;
pub mod gpu;
pub mod limits;
pub mod matpower;
pub mod network;
pub mod newton;
pub mod ordering;
pub mod output;
pub mod peel;
pub mod screen;
pub mod sparse_lu;
pub mod timeseries;
pub mod validate;
pub mod workload;
pub mod ybus;

pub use acpf::{AcOptions, AcPowerFlow, AcResult};
pub use dcpf::{DcPowerFlow, DcResult};
pub use network::Network;

use crate::error::InputError;

/// Read a network: a MATPOWER `.m` case, or a facility file's `[network]` with its
/// racks and cooling units attached as loads. Validated here ([`validate::validate`]),
/// so every power command refuses the same bad input the same way (exit 2).
pub fn read_network(path: &str) -> Result<(Network, Option<facility_net::AttachedLoads>), InputError> {
    read_network_indexed(path).map(|(n, l, _)| (n, l))
}

/// [`read_network`], with the bus index its validation built (for
/// [`DcPowerFlow::build`] and [`AcPowerFlow::build`], which would otherwise validate
/// again).
pub fn read_network_indexed(
    path: &str,
) -> Result<(Network, Option<facility_net::AttachedLoads>, validate::BusIndex), InputError> {
    if path.ends_with(".m") {
        let n = matpower::read_matpower(path)?;
        let idx = validate::validate(&n)?;
        return Ok((n, None, idx));
    }
    // A campus: the joined network of its halls and its own.
    let f = if crate::facility::campus::is_campus(path) {
        crate::facility::campus::load(path)?.plant
    } else {
        crate::facility::load(path)?
    };
    match facility_net::facility_network(&f) {
        Some((n, l)) => {
            let idx = validate::validate(&n)?;
            Ok((n, Some(l), idx))
        }
        None => Err(InputError::new(
            path,
            "[network]",
            "the facility file has no [network] section",
            "add [network] with buses and branches, or give a MATPOWER .m case",
        )),
    }
}
