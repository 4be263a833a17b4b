//! A campus: several halls, each a facility file, on one campus network (see the
//! README's campus section and `validate/campus.rs` for the file).

use super::Facility;

/// Separator between a hall's id and its elements' ids in the joined network.
pub const SEP: char = '/';

/// One hall of a campus.
#[derive(Clone, Debug)]
pub struct Hall {
    pub id: String,
    /// Its facility file (as resolved from the campus file).
    pub file: String,
    /// The hall as its own file describes it (ids unprefixed).
    pub facility: Facility,
}

/// A campus read and validated.
#[derive(Clone, Debug)]
pub struct Campus {
    pub name: String,
    pub path: String,
    pub halls: Vec<Hall>,
    /// The electrical view of the whole campus: every hall's racks, cooling units and
    /// chillers (ids `<hall>/<id>`) on the joined network. Its floor is the first
    /// hall's and it has no supply regions or obstacles: it is not a room to solve.
    pub plant: Facility,
}

impl Campus {
    /// The hall an element id of the plant belongs to, and the id within the hall.
    pub fn split<'a>(&self, id: &'a str) -> Option<(usize, &'a str)> {
        let (h, rest) = id.split_once(SEP)?;
        self.halls.iter().position(|x| x.id == h).map(|k| (k, rest))
    }
}

pub use super::validate::campus::{is_campus, is_campus_str, load_campus as load};
