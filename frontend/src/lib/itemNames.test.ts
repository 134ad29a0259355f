import { describe, expect, it } from 'vitest'
import { equipSlotLabel, equipSlotsText, locationLabel, positionLabel } from './itemNames'

describe('item display names', () => {
  it('names equip slots and folds left/right pairs', () => {
    expect(equipSlotLabel('FingerWearLeft')).toBe('Left finger')
    expect(equipSlotsText(['FingerWearLeft', 'FingerWearRight'])).toBe('Finger (left or right)')
    expect(equipSlotsText(['UpperArmArmor', 'LowerArmArmor'])).toBe('Upper arms, Lower arms')
    expect(equipSlotsText(['WristWearLeft'])).toBe('Left wrist')
    expect(equipSlotLabel('SomethingNewBit')).toBe('Something new bit')
  })
  it('names positions and locations', () => {
    expect(positionLabel('upper_arms')).toBe('Upper arms')
    expect(positionLabel('finger')).toBe('Finger')
    expect(locationLabel('main_pack')).toBe('Main pack')
    expect(locationLabel('equipped')).toBe('Worn')
    expect(locationLabel(undefined)).toBe('—')
  })
})
