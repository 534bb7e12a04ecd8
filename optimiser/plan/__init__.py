"""Stage 5, the plan: routes and stops with pupil and school ids (never solver indices), the
``plan.json`` document, re-timing of a solved route, and the plan's totals and solo baseline."""
