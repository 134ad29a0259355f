/**
 * One suit, explained: score broken into its four parts, the items with owner, position and
 * any tailoring, the spells with tiers, set pieces and rating totals.
 */
import type { Suit, WantedSpell } from '../../api/types'
import { formatInt } from '../../lib/format'
import { ratingLabel } from '../../lib/items'
import { orderedItems, scoringSpells } from '../../lib/suits'

export function SuitView({ suit, wanted, title, testId }: { suit: Suit; wanted: readonly WantedSpell[]; title: string; testId?: string }) {
  const c = suit.components
  const scoring = scoringSpells(suit.spells, wanted)
  const counts = new Set(scoring.map((s) => s.family))
  const listed = suit.spells?.length ?? 0
  return (
    <article className="suit" data-testid={testId} data-items={suit.items.length} aria-label={title}>
      <header className="suit-head">
        <h3>{title}</h3>
        <div className="score">
          score <strong>{formatInt(suit.score)}</strong>
        </div>
      </header>
      {c && (
        <dl className="score-parts" aria-label="Score breakdown">
          <div>
            <dt title="Only the spell families you asked for score (solver.md: spells = Σ wanted families × weight × tier points)">Wanted spells</dt>
            <dd>
              <span data-testid="spell-score">{formatInt(c.spells)}</span>
              <span className="muted small" data-testid="spell-score-count" data-count={scoring.length}>
                {' '}
                from {scoring.length} of {listed} spells
              </span>
            </dd>
          </div>
          <div>
            <dt>Sets</dt>
            <dd>{formatInt(c.sets)}</dd>
          </div>
          <div>
            <dt>Ratings</dt>
            <dd>{formatInt(c.ratings)}</dd>
          </div>
          <div>
            <dt>Armor</dt>
            <dd>{formatInt(c.armor)}</dd>
          </div>
        </dl>
      )}
      {suit.items.length === 0 ? (
        <p className="muted">No item qualified: check the owners, filters and wield requirements.</p>
      ) : (
        <div className="table-wrap">
          <table className="table compact">
            <thead>
              <tr>
                <th scope="col">Position</th>
                <th scope="col">Item</th>
                <th scope="col">Owner</th>
                <th scope="col">Tailoring</th>
              </tr>
            </thead>
            <tbody>
              {orderedItems(suit).map((i) => (
                <tr key={`${i.owner}/${i.object_id}/${i.position}`}>
                  <td>{i.position.replace(/_/g, ' ')}</td>
                  <th scope="row">{i.name}</th>
                  <td>{i.owner}</td>
                  <td>{i.reduce_to ? `reduce to ${i.reduce_to.replace(/_/g, ' ')}` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="suit-facts">
        {suit.spells && suit.spells.length > 0 && (
          <div>
            <h4>
              Spells on the suit ({suit.spells.length}){' '}
              <span className="muted small">
                {scoring.length === 0 ? '— none is a wanted family at its minimum tier, so none adds to the score' : `— ${scoring.length} wanted (marked ★) add to the score`}
              </span>
            </h4>
            <ul className="chips">
              {suit.spells.map((s) => (
                <li key={s.family} className={`chip tier-${s.tier.toLowerCase()}${counts.has(s.family) ? ' scoring' : ''}`} data-scoring={counts.has(s.family) ? 'yes' : 'no'}>
                  {counts.has(s.family) ? '★ ' : ''}
                  {s.tier} {s.family}
                </li>
              ))}
            </ul>
          </div>
        )}
        {suit.sets && suit.sets.length > 0 && (
          <div>
            <h4>Sets</h4>
            <ul className="chips">
              {suit.sets.map((s) => (
                <li key={s.set_id} className="chip">
                  {s.name ?? `set ${s.set_id}`}: {s.pieces} pieces
                </li>
              ))}
            </ul>
          </div>
        )}
        {suit.ratings && Object.keys(suit.ratings).length > 0 && (
          <div>
            <h4>Ratings</h4>
            <ul className="chips">
              {Object.entries(suit.ratings).map(([k, v]) => (
                <li key={k} className="chip">
                  {ratingLabel(k)} {v}
                </li>
              ))}
            </ul>
          </div>
        )}
        {typeof suit.armor_level_total === 'number' && (
          <p>
            Total armor level: <strong>{formatInt(suit.armor_level_total)}</strong>
          </p>
        )}
      </div>
    </article>
  )
}
