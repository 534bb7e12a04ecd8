"""Headers: no caching of personal data, a Content-Security-Policy on every HTML response, and
no page that loads from a CDN."""

from __future__ import annotations

from api.headers import inline_script_hashes, map_policy


def test_a_map_policy_names_each_inline_script_and_nothing_else():
    page = "<script src='/static/x.js'></script><script>var a = 1;</script><script>\nb()</script>"
    policy = map_policy(page)
    # echo -n 'var a = 1;' | openssl dgst -sha256 -binary | base64
    assert "'sha256-+dZ6udsWxNVoGfScAq7t5IIF5UJb4F6RhjbN6oe1p4w='" in policy
    assert policy.count("'sha256-") == 2 and "'unsafe-inline'; " not in policy.split("style")[0]


def test_personal_downloads_are_never_cached(api, planned):
    for path in (
        f"/plans/{planned.plan_id}/json",
        f"/plans/{planned.plan_id}/map",
        f"/plans/{planned.plan_id}/sheets.pdf?operator=Wight Cars",
        f"/plans/{planned.plan_id}/sheets.csv?operator=Wight Cars",
        f"/plans/{planned.plan_id}/finance.xlsx",
        f"/datasets/{planned.dataset_id}/pupils",
    ):
        response = api.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store", path
        assert response.headers["x-content-type-options"] == "nosniff"


def test_every_html_response_has_a_content_security_policy(api, planned):
    map_page = api.get(f"/plans/{planned.plan_id}/map")
    policy = map_page.headers["content-security-policy"]
    assert "connect-src 'none'" in policy and "frame-ancestors 'self'" in policy
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert inline_script_hashes(map_page.text)  # the map's own scripts, each by its hash
    for source in inline_script_hashes(map_page.text):
        assert source in script_src
    finance = api.get(f"/plans/{planned.plan_id}/finance.html")
    assert "script-src" not in finance.headers["content-security-policy"]
    assert "default-src 'none'" in finance.headers["content-security-policy"]
    assert "default-src 'self'" in api.client.get("/login").headers["content-security-policy"]


def test_no_swagger_page_from_a_cdn(api):
    assert api.client.get("/docs").status_code == 404
    assert api.client.get("/redoc").status_code == 404
    assert api.client.get("/openapi.json").status_code == 200


def test_a_cached_download_never_waits_for_another_render(api, planned):
    import threading

    from api import outputs

    path = f"/plans/{planned.plan_id}/sheets.csv?operator=Wight Cars"
    assert api.get(path).status_code == 200  # rendered and cached
    answers: list[int] = []
    with outputs._lock:  # as if another plan were being rendered
        fetch = threading.Thread(target=lambda: answers.append(api.get(path).status_code))
        fetch.start()
        fetch.join(timeout=10)
        answered_while_held = list(answers)
    fetch.join()
    assert answered_while_held == [200]
