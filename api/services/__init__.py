"""The service layer: one function per thing a caller can do, shared by the API and the pages.

Each function takes the request's database session, the running :class:`api.service.Service`
(settings, caches, job runner) where it needs them, and the caller; it commits its own
transaction, writes its audit record in that same transaction, and returns the response schemas
of :mod:`api.schemas`. A refusal is one of :mod:`api.refusals`. Route handlers
(:mod:`api.routes`) and pages (:mod:`api.web`) only parse, call one of these, and present the
result; the storage modules (:mod:`api.datasets`, :mod:`api.jobs`, :mod:`api.plans`) work inside
the transaction they are given and never commit.

- :mod:`api.services.datasets`: upload, list, read, pupils, files, delete, check a plan.
- :mod:`api.services.jobs`: start a plan (and decide its search time), follow, cancel, re-run.
- :mod:`api.services.plans`: list, store, rename, read, costs, check, routes, sheets (one
  operator's, or every operator's in a ZIP), finance, map, compare.
- :mod:`api.services.routes`: one route with its stops, and a pupil search in a plan.
"""
