// The dashboard's pages, read from src/lib/routes.ts so the Lighthouse and screenshot
// scripts cannot drift from the router: one path per route pattern (`:name` filled with a
// live character), plus views that live behind a query (the map's replay).
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

/** Views reached through a query string rather than a route of their own. */
const EXTRA_VIEWS = [{ name: 'replay', path: '/map?mode=replay' }]

/** [{ name, path }] in routes.ts order; `{first}` stands for a character's name. */
export function dashboardPages() {
  const src = readFileSync(join(here, '../src/lib/routes.ts'), 'utf8')
  const table = src.slice(src.indexOf('const ROUTES'), src.indexOf(']\n', src.indexOf('const ROUTES')))
  const seen = new Set()
  const out = []
  for (const m of table.matchAll(/\{\s*name:\s*'([a-z_]+)',\s*segments:\s*\[([^\]]*)\]\s*\}/g)) {
    const segments = [...m[2].matchAll(/'([^']*)'/g)].map((s) => (s[1].startsWith(':') ? '{first}' : s[1]))
    const path = `/${segments.join('/')}`
    if (seen.has(path)) continue
    seen.add(path)
    out.push({ name: path === '/' ? 'home' : segments.join('-').replace('{first}', 'one'), path })
  }
  if (out.length < 10) throw new Error(`read only ${out.length} routes from routes.ts; has its ROUTES table changed shape?`)
  return [...out, ...EXTRA_VIEWS]
}
