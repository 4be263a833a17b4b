//! Reading a campus file: several halls (each a facility file of its own) on one
//! campus network — substation, MV ring or switchgear, turbines, batteries.
//!
//! ```toml
//! [campus]
//! name = "…"
//!
//! [[hall]]
//! id = "H1"
//! file = "hall_xai_h100.toml"            # relative to the campus file
//! connect = { "UTIL-138" = "RING-1A" }   # the hall's utility bus → a campus bus
//!
//! [network]                              # the campus's own network, as in a facility
//! ```
//!
//! Each hall is read and validated as a facility file. Its network joins the campus's:
//! every element id gets the hall's id as prefix (`H1/UPS-B1-Q1`), and each of the
//! hall's utility buses becomes the campus bus `connect` names (same kV), so the hall
//! draws from the campus instead of a grid of its own. Racks, cooling units and
//! chillers keep their feeds, prefixed the same way.

use super::Ctx;
use crate::error::InputError;
use crate::facility::campus::{Campus, Hall, SEP};
use crate::facility::network::{BusKind, NetworkSpec};
use crate::facility::Facility;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CampusSpec {
    campus: CampusMeta,
    #[serde(default)]
    hall: Vec<Spanned<HallSpec>>,
    network: Spanned<NetworkSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CampusMeta {
    name: String,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HallSpec {
    id: String,
    /// The hall's facility file, relative to the campus file.
    file: String,
    /// Each of the hall's utility buses → the campus bus that feeds it.
    connect: BTreeMap<String, String>,
}

/// Whether TOML text is a campus file (has a top-level `[campus]` table).
pub fn is_campus_str(src: &str) -> bool {
    // Cheap: a line that is exactly the table header, outside any multi-line string
    // (facility files never use that header).
    src.lines().any(|l| l.split('#').next().unwrap_or("").trim() == "[campus]")
}

/// Whether the file at `path` is a campus file.
pub fn is_campus(path: &str) -> bool {
    path.ends_with(".toml") && std::fs::read_to_string(path).is_ok_and(|s| is_campus_str(&s))
}

/// Read and validate a campus file and every hall it names.
pub fn load_campus(path: &str) -> Result<Campus, InputError> {
    let src = std::fs::read_to_string(path).map_err(|e| {
        InputError::new(path, "campus file", format!("cannot read it: {e}"), "check the path and its permissions")
    })?;
    let cx = Ctx { file: path, src: &src };
    let spec: CampusSpec = toml::from_str(&src).map_err(|e| {
        super::toml_error(
            path,
            &src,
            &e,
            "remove or correct the key (a campus file has [campus], [[hall]] and [network])",
        )
    })?;
    let name = spec.campus.name.trim().to_string();
    if name.is_empty() {
        return Err(cx.err(Some((1, 1)), "[campus]", "the campus has an empty name", "set name = \"…\""));
    }
    let net_pos = cx.pos(&spec.network);
    let mut net = spec.network.into_inner();
    super::network::validate_network(&cx, net_pos, &net)?;
    // Campus ids never look like a hall's (`<hall>/<id>`).
    let ids = net
        .bus
        .iter()
        .map(|b| (cx.pos(b), "bus", b.get_ref().id.as_str()))
        .chain(net.branch.iter().map(|b| (cx.pos(b), "branch", b.get_ref().id.as_str())))
        .chain(net.generator.iter().map(|b| (cx.pos(b), "generator", b.get_ref().id.as_str())))
        .chain(net.battery.iter().map(|b| (cx.pos(b), "battery", b.get_ref().id.as_str())))
        .chain(net.load.iter().map(|b| (cx.pos(b), "load", b.get_ref().id.as_str())))
        .chain(net.ups.iter().map(|b| (cx.pos(b), "ups", b.get_ref().id.as_str())))
        .chain(net.transfer.iter().map(|b| (cx.pos(b), "transfer", b.get_ref().id.as_str())));
    for (pos, kind, id) in ids {
        if id.contains(SEP) {
            return Err(cx.err(
                pos,
                format!("{kind} \"{id}\""),
                "a campus id contains '/', which joins a hall's id to its elements' ids",
                "rename it without '/'",
            ));
        }
    }
    if spec.hall.is_empty() {
        return Err(cx.err(
            net_pos,
            "[[hall]]",
            "the campus has no halls",
            "add [[hall]] entries with id, file and connect",
        ));
    }
    let campus_bus: HashMap<String, (f64, BusKind)> =
        net.bus.iter().map(|b| (b.get_ref().id.clone(), (b.get_ref().kv, b.get_ref().kind))).collect();
    let dir = std::path::Path::new(path).parent().unwrap_or(std::path::Path::new(""));
    let mut halls = Vec::new();
    let mut seen = HashSet::new();
    let mut plant: Option<Facility> = None;
    for h in &spec.hall {
        let pos = cx.pos(h);
        let h = h.get_ref();
        let item = format!("hall \"{}\"", h.id);
        if h.id.is_empty() || h.id.contains(SEP) || h.id.trim() != h.id {
            return Err(cx.err(
                pos,
                &item,
                "the hall id is empty, has spaces at its ends or contains '/'",
                "give the hall a short id such as \"H1\"",
            ));
        }
        if !seen.insert(h.id.clone()) {
            return Err(cx.err(pos, &item, "duplicate hall id", "give every hall a unique id"));
        }
        let file = dir.join(&h.file);
        let file_str = file.to_string_lossy().to_string();
        if crate::facility::campus::is_campus(&file_str) {
            return Err(cx.err(pos, &item, format!("{} is a campus file", h.file), "name a facility file (one hall)"));
        }
        let f = crate::facility::load(&file_str)?;
        let Some(hn) = f.network.as_ref() else {
            return Err(cx.err(
                pos,
                &item,
                format!("{} has no [network]", h.file),
                "give the hall a [network] whose utility bus the campus feeds",
            ));
        };
        // Every utility bus of the hall is connected, to a campus bus of its voltage.
        let utilities: Vec<(&str, f64)> = hn
            .bus
            .iter()
            .map(|b| b.get_ref())
            .filter(|b| b.kind == BusKind::Utility)
            .map(|b| (b.id.as_str(), b.kv))
            .collect();
        for (u, kv) in &utilities {
            let Some(to) = h.connect.get(*u) else {
                return Err(cx.err(
                    pos,
                    &item,
                    format!("the hall's utility bus \"{u}\" is not connected"),
                    format!("add \"{u}\" = \"<campus bus>\" to connect"),
                ));
            };
            let Some(&(ckv, _)) = campus_bus.get(to) else {
                return Err(cx.err(
                    pos,
                    &item,
                    format!("connect names campus bus \"{to}\", which does not exist"),
                    "name a bus of the campus's [[network.bus]]",
                ));
            };
            if (ckv - kv).abs() > 1e-9 * kv.max(1.0) {
                return Err(cx.err(
                    pos,
                    &item,
                    format!("the hall's \"{u}\" is {kv} kV but campus bus \"{to}\" is {ckv} kV"),
                    "connect it to a campus bus of the same voltage (add a transformer on the campus side)",
                ));
            }
        }
        for k in h.connect.keys() {
            if !utilities.iter().any(|(u, _)| u == k) {
                return Err(cx.err(
                    pos,
                    &item,
                    format!("connect names \"{k}\", which is not a utility bus of {}", h.file),
                    "connect only the hall's utility buses (kind = \"utility\")",
                ));
            }
        }
        if let Some(g) = hn.generator.iter().map(|g| g.get_ref()).find(|g| g.standby && h.connect.contains_key(&g.bus))
        {
            return Err(cx.err(
                pos,
                &item,
                format!(
                    "standby generator \"{}\" of {} sits on its utility bus \"{}\", which the campus replaces",
                    g.id, h.file, g.bus
                ),
                "put the set on a bus of its own behind a breaker in the hall's file",
            ));
        }
        let hall_net = prefixed_network(&h.id, hn, &h.connect);
        if let Some(b) = hall_net.branch.iter().map(|b| b.get_ref()).find(|b| b.from == b.to) {
            return Err(cx.err(
                pos,
                &item,
                format!("once connected, branch \"{}\" joins campus bus \"{}\" to itself", b.id, b.from),
                "connect the hall's utility buses that this branch joins to different campus buses",
            ));
        }
        splice(&mut net, hall_net);
        let f_pre = prefixed_facility(&h.id, &f, &h.connect);
        match plant.as_mut() {
            None => plant = Some(f_pre),
            Some(p) => {
                p.racks.extend(f_pre.racks);
                p.cooling.extend(f_pre.cooling);
                p.chillers.extend(f_pre.chillers);
            }
        }
        halls.push(Hall { id: h.id.clone(), file: file_str, facility: f });
    }
    let mut plant = plant.expect("at least one hall");
    plant.name = name.clone();
    plant.description = spec.campus.description.clone();
    plant.path = path.to_string();
    plant.supply.clear();
    plant.obstacles.clear();
    plant.airflow = None;
    plant.transient = None;
    plant.events.clear();
    plant.sweep = None;
    {
        use sha2::{Digest, Sha256};
        let mut d = Sha256::new();
        d.update(src.as_bytes());
        for h in &halls {
            d.update(h.facility.input_sha256.as_bytes());
        }
        plant.input_sha256 = format!("{:x}", d.finalize());
    }
    // The joined network: each part was checked alone, and each hall reaches a campus
    // reference through its connection.
    plant.network = Some(net);
    Ok(Campus { name, path: path.to_string(), halls, plant })
}

/// `id` with the hall's prefix, or the campus bus a connected utility bus becomes.
fn rename(hall: &str, connect: &BTreeMap<String, String>, id: &str) -> String {
    match connect.get(id) {
        Some(c) => c.clone(),
        None => format!("{hall}{SEP}{id}"),
    }
}

/// The hall's network with every id prefixed, its connected utility buses and their
/// infeed generators removed (the campus buses take their place).
fn prefixed_network(hall: &str, n: &NetworkSpec, connect: &BTreeMap<String, String>) -> NetworkSpec {
    let p = |id: &str| format!("{hall}{SEP}{id}");
    let bus_of = |id: &str| rename(hall, connect, id);
    let mut n = n.clone();
    n.bus.retain(|b| !connect.contains_key(&b.get_ref().id));
    // A generator on a connected utility bus is the grid's infeed (standby sets there
    // are refused): the campus is now that grid.
    n.generator.retain(|g| !connect.contains_key(&g.get_ref().bus));
    for b in n.bus.iter_mut() {
        let b = b.get_mut();
        b.id = p(&b.id);
    }
    for b in n.branch.iter_mut() {
        let b = b.get_mut();
        b.id = p(&b.id);
        b.from = bus_of(&b.from);
        b.to = bus_of(&b.to);
    }
    for g in n.generator.iter_mut() {
        let g = g.get_mut();
        g.id = p(&g.id);
        g.bus = bus_of(&g.bus);
    }
    for b in n.battery.iter_mut() {
        let b = b.get_mut();
        b.id = p(&b.id);
        b.bus = bus_of(&b.bus);
    }
    for l in n.load.iter_mut() {
        let l = l.get_mut();
        l.id = p(&l.id);
        l.bus = bus_of(&l.bus);
    }
    for u in n.ups.iter_mut() {
        let u = u.get_mut();
        u.id = p(&u.id);
        u.branch = p(&u.branch);
    }
    for t in n.transfer.iter_mut() {
        let t = t.get_mut();
        t.id = p(&t.id);
        t.normal = p(&t.normal);
        t.alternate = p(&t.alternate);
    }
    n
}

/// The campus network with a hall's joined in (ids already distinct by prefix).
fn splice(into: &mut NetworkSpec, from: NetworkSpec) {
    // Per-unit values are on each file's base: a hall on another base keeps its
    // reactances by rescaling to the campus's.
    let scale = into.base_mva / from.base_mva;
    let mut from = from;
    if (scale - 1.0).abs() > 1e-15 {
        for b in from.branch.iter_mut() {
            let b = b.get_mut();
            b.x_pu = b.x_pu.map(|x| x * scale);
            b.r_pu = b.r_pu.map(|r| r * scale);
        }
    }
    into.bus.extend(from.bus);
    into.branch.extend(from.branch);
    into.generator.extend(from.generator);
    into.battery.extend(from.battery);
    into.load.extend(from.load);
    into.ups.extend(from.ups);
    into.transfer.extend(from.transfer);
}

/// The hall's racks, cooling units and chillers with prefixed ids and feeds.
fn prefixed_facility(hall: &str, f: &Facility, connect: &BTreeMap<String, String>) -> Facility {
    let p = |id: &str| format!("{hall}{SEP}{id}");
    let bus = |b: &Option<String>| b.as_deref().map(|b| rename(hall, connect, b));
    let mut g = f.clone();
    for r in g.racks.iter_mut() {
        r.id = p(&r.id);
        r.feed_bus = bus(&r.feed_bus);
        r.feed_b_bus = bus(&r.feed_b_bus);
    }
    for u in g.cooling.iter_mut() {
        u.id = p(&u.id);
        u.feed_bus = bus(&u.feed_bus);
        u.feed_b_bus = bus(&u.feed_b_bus);
        u.chiller = u.chiller.as_deref().map(p);
        u.rack = u.rack.as_deref().map(p);
    }
    for c in g.chillers.iter_mut() {
        c.id = p(&c.id);
        c.feed.a = bus(&c.feed.a);
        c.feed.b = bus(&c.feed.b);
    }
    g
}
