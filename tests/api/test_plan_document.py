"""The plan document and job states in the OpenAPI schema: typed, and the same JSON as the CLI's."""

from __future__ import annotations


def _schemas(api) -> dict:
    return api.client.get("/openapi.json").json()["components"]["schemas"]


def test_the_schema_describes_routes_and_stops(api):
    schemas = _schemas(api)
    document = schemas["PlanDocument"]["properties"]
    assert document["routes"]["items"] == {"$ref": "#/components/schemas/PlanRoute"}
    route = schemas["PlanRoute"]["properties"]
    assert route["stops"]["items"] == {"$ref": "#/components/schemas/PlanStop"}
    assert "pounds" in route["cost"]["description"]
    assert schemas["PlanStop"]["properties"]["type"]["enum"] == ["depot", "pickup", "dropoff"]
    paths = api.client.get("/openapi.json").json()["paths"]
    answer = paths["/plans/{plan_id}/json"]["get"]["responses"]["200"]["content"]
    assert answer["application/json"]["schema"] == {"$ref": "#/components/schemas/PlanDocument"}


def test_job_states_are_an_enum(api):
    schemas = _schemas(api)
    assert schemas["JobOut"]["properties"]["status"] == {"$ref": "#/components/schemas/JobState"}
    assert set(schemas["JobState"]["enum"]) == {
        "queued",
        "running",
        "succeeded",
        "failed",
        "cancelled",
        "interrupted",
    }


def test_the_document_is_the_plans_own_json(api, planned):
    from api.db import PlanRow
    from api.plans import plan_of

    with api.client.app.state.service.sessions() as db:
        expected = plan_of(db.get(PlanRow, planned.plan_id)).to_json()
    document = api.get(f"/plans/{planned.plan_id}/json").json()
    assert document == expected
    depot = document["routes"][0]["stops"][0]
    assert depot["type"] == "depot" and "pupil_ids" not in depot and "arrive" not in depot
