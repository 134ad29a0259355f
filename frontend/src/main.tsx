import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App, preloadPage } from './App'
import './styles.css'

preloadPage(window.location.pathname)

const root = document.getElementById('root')
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  )
}
