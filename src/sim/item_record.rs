//! The compact record of one simulated item (what it is, where it sits, its seed, which
//! wire form it travels in). Data only: `items` keeps and changes records, `item_render`
//! turns them into wire JSON.

/// Where an item sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Equipped,
    MainPack,
    SidePack,
}

impl Location {
    /// The `location` value on the wire.
    pub fn wire(self) -> &'static str {
        match self {
            Location::Equipped => "equipped",
            Location::MainPack => "main_pack",
            Location::SidePack => "side_pack",
        }
    }
}

/// What an item is; `variant` in the record picks the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Armor,
    Shirt,
    Pants,
    Ring,
    Bracelet,
    Necklace,
    Trinket,
    Cloak,
    Aetheria,
    Melee,
    Missile,
    Caster,
    Shield,
    Ammo,
    Salvage,
    Gem,
    Pyreals,
    Tapers,
    Misc,
    Pack,
    Rare,
}

/// One item, compactly: everything else is re-derived from `seed`.
#[derive(Debug, Clone)]
pub struct ItemRecord {
    pub object_id: u32,
    pub kind: ItemKind,
    pub variant: u16,
    pub seed: u64,
    pub stack: u32,
    pub location: Location,
    pub container: u32,
    pub wielded_mask: u32,
    /// Armor set wanted for a matching worn suit (0 = pick from the seed).
    pub set_hint: u32,
    /// Which wire form(s) this item is sent in; fixed per item.
    pub form: WireForm,
}

/// Which form an item travels in (docs/protocol.md §5: "either the raw form, the normalized
/// fields, or both").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireForm {
    Both,
    Normalized,
    Raw,
}
