import { Link } from '../../components/Router'
import { useTitle } from '../../components/hooks'

export default function NotFoundPage() {
  useTitle('Not found')
  return (
    <div className="state state-empty">
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link to="/map">Go to the map</Link>.
      </p>
    </div>
  )
}
