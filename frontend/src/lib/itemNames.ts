/**
 * Display names for the item model's internal names: equip slots (ACE EquipMask bit names
 * such as "FingerWearLeft"), suit positions (docs/solver.md, the `slot` facet: "finger",
 * "upper_arms") and item locations ("main_pack"). Pure; unknown names are de-camelled rather
 * than shown raw.
 */

const EQUIP_SLOT_NAMES: Record<string, string> = {
  HeadWear: 'Head',
  ChestWear: 'Chest (shirt)',
  AbdomenWear: 'Abdomen (pants)',
  UpperArmWear: 'Upper arms (shirt)',
  LowerArmWear: 'Lower arms (shirt)',
  HandWear: 'Hands',
  UpperLegWear: 'Upper legs (pants)',
  LowerLegWear: 'Lower legs (pants)',
  FootWear: 'Feet',
  ChestArmor: 'Chest',
  AbdomenArmor: 'Abdomen',
  UpperArmArmor: 'Upper arms',
  LowerArmArmor: 'Lower arms',
  UpperLegArmor: 'Upper legs',
  LowerLegArmor: 'Lower legs',
  NeckWear: 'Neck',
  WristWearLeft: 'Left wrist',
  WristWearRight: 'Right wrist',
  FingerWearLeft: 'Left finger',
  FingerWearRight: 'Right finger',
  MeleeWeapon: 'Melee weapon',
  Shield: 'Shield',
  MissileWeapon: 'Missile weapon',
  MissileAmmo: 'Ammunition',
  Held: 'Held',
  TwoHanded: 'Two-handed',
  TrinketOne: 'Trinket',
  Cloak: 'Cloak',
}

const LOCATION_NAMES: Record<string, string> = {
  equipped: 'Worn',
  main_pack: 'Main pack',
  side_pack: 'Side pack',
}

function humanize(s: string): string {
  const spaced = s
    .replace(/_/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase()
  return spaced.charAt(0).toUpperCase() + spaced.slice(1)
}

/** "FingerWearLeft" → "Left finger". */
export function equipSlotLabel(name: string): string {
  return EQUIP_SLOT_NAMES[name] ?? humanize(name)
}

/** A list of equip slots, with the left/right pairs folded: ["FingerWearLeft","FingerWearRight"] → "Finger (left or right)". */
export function equipSlotsText(names: readonly string[]): string {
  const set = new Set(names)
  const out: string[] = []
  for (const n of names) {
    const pair = /^(.*)(Left|Right)$/.exec(n)
    if (pair) {
      const other = `${pair[1]}${pair[2] === 'Left' ? 'Right' : 'Left'}`
      if (set.has(other)) {
        if (pair[2] === 'Left') out.push(`${humanize((pair[1] ?? '').replace(/Wear$/, ''))} (left or right)`)
        continue
      }
    }
    out.push(equipSlotLabel(n))
  }
  return out.join(', ')
}

/** Suit position ("upper_arms", "finger") → "Upper arms", "Finger". */
export function positionLabel(name: string): string {
  return humanize(name)
}

/** Item location ("main_pack") → "Main pack". */
export function locationLabel(name: string | null | undefined): string {
  if (!name) return '—'
  return LOCATION_NAMES[name] ?? humanize(name)
}
