//! The item model, normalization of plugin item dumps, and item storage in redb.
//!
//! Owns: `Item` (docs/protocol.md §5 normalized item v1), `normalize` (wire item → `Item`,
//! tolerant decoding, Mag-Tools appraisal merge), `InventoryStore` (the `inv_*` tables of
//! `state.redb`, the source of truth for items) and the decoding tables.
//! Never does: ranking or text search (that is `search`), committing transactions (the
//! lead's single state writer does), or networking.

mod decode;
pub mod item;
pub mod normalize;
pub(crate) mod store;
pub mod tables;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;

pub use item::{
    ArmorMods, Item, ItemLevel, ItemView, Location, Mana, Named, Ratings, RawMaps, Spell, Weapon, WieldRequirement,
};
pub use normalize::{ItemError, NormalizeContext, merge_update, normalize, normalize_with};
pub use store::{ApplyReport, InventoryStore, ItemKey, OwnerInfo, RejectedItem, StoreError, owner_key};
