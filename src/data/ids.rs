//! Account ids: the index from an id to its row, used to link revenue and
//! renewal rows to accounts, and the rule that ids are unique.

use rustc_hash::FxHashMap;

use super::parse::{clip, Ctx};
use crate::error::Result;

/// Finds an account's row from its id. Ids in ascending order (the usual
/// export order) are binary-searched in place: no hash map of a million keys
/// to build, and they are unique by construction.
pub enum IdIndex<'a> {
    Sorted(&'a [String]),
    Hashed(FxHashMap<&'a str, u32>),
}

impl IdIndex<'_> {
    /// The row of `id`, if an account has it.
    pub fn get(&self, id: &str) -> Option<u32> {
        match self {
            IdIndex::Sorted(ids) => ids
                .binary_search_by(|x| x.as_str().cmp(id))
                .ok()
                .map(|i| i as u32),
            IdIndex::Hashed(map) => map.get(id).copied(),
        }
    }
}

/// Index of each id; a duplicate id is an input error naming both rows.
pub fn id_index<'a>(ids: &'a [String], c: Ctx) -> Result<IdIndex<'a>> {
    if ids.windows(2).all(|w| w[0] < w[1]) {
        return Ok(IdIndex::Sorted(ids));
    }
    let mut seen: FxHashMap<&str, u32> = FxHashMap::default();
    seen.reserve(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if let Some(first) = seen.insert(id.as_str(), i as u32) {
            return Err(c.bad(
                i,
                clip(id),
                format!(
                    "is a duplicate id (first at row {}); ids must be unique",
                    first + 1
                ),
            ));
        }
    }
    Ok(IdIndex::Hashed(seen))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn ctx() -> Ctx<'static> {
        Ctx {
            path: Path::new("accounts.csv"),
            column: "account_id",
            missing_tokens: &[],
        }
    }

    #[test]
    fn sorted_ids_are_searched_in_place_and_others_hashed() {
        let sorted: Vec<String> = ["A1", "A2", "B7"].iter().map(|s| s.to_string()).collect();
        let i = id_index(&sorted, ctx()).unwrap();
        assert!(matches!(i, IdIndex::Sorted(_)));
        assert_eq!(i.get("B7"), Some(2));
        assert_eq!(i.get("A3"), None);
        let shuffled: Vec<String> = ["B7", "A1", "A2"].iter().map(|s| s.to_string()).collect();
        let j = id_index(&shuffled, ctx()).unwrap();
        assert!(matches!(j, IdIndex::Hashed(_)));
        assert_eq!(j.get("A1"), Some(1));
    }

    /// A repeated id is an error naming both data rows and the value.
    #[test]
    fn duplicate_id_names_both_rows() {
        let ids: Vec<String> = ["A1", "A2", "A1"].iter().map(|s| s.to_string()).collect();
        let e = id_index(&ids, ctx()).err().expect("duplicate").to_string();
        assert!(e.contains("row 3"), "{e}");
        assert!(e.contains("first at row 1"), "{e}");
        assert!(e.contains("`A1`"), "{e}");
    }
}
