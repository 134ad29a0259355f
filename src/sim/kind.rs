//! What a simulated character is for (fighter, archer, mage, mule, buff bot): the one
//! fact the roster, the inventory generator and the character model all need. A leaf.

/// What a character is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharacterKind {
    Melee,
    Archer,
    Mage,
    /// Parked in town holding items.
    Mule,
    /// Parked in town casting buffs on others.
    BuffBot,
}

impl CharacterKind {
    /// Mules and buff bots idle in town.
    pub fn is_idle(self) -> bool {
        matches!(self, CharacterKind::Mule | CharacterKind::BuffBot)
    }
}
