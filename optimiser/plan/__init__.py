"""Stage 5, the plan: routes and stops with pupil and school ids (never solver indices), the
``plan.json`` document, re-timing of a solved route, and the plan's totals and solo baseline; a
council's current routes read into a plan and written out (``current``); what changes for each pupil
between two plans (``changes``)."""
