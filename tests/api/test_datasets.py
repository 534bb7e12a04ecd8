"""Datasets over HTTP: upload (CSV and XLSX), the CLI's validation, nothing stored on error,
size limit, list, read, delete."""

from __future__ import annotations

import pytest

from tests.api.helpers import DATASET_FILES, make_api, upload, workbook


def _count(api) -> int:
    return len(api.get("/datasets").json())


def test_upload_csv_stores_the_dataset_and_ignores_its_network(api):
    response = upload(api, name="csv upload")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["pupils"] == 6 and body["schools"] == 2 and body["fleet_rows"] == 2
    assert body["vehicles"] == 5 and body["operators"] == ["Island Taxis", "Wight Cars"]
    assert any("/etc/passwd" in note and "ignored" in note for note in body["notes"])
    detail = api.get(f"/datasets/{body['id']}").json()
    assert detail["road_network"] == "roads.npz"
    assert {f["filename"] for f in detail["files"]} == set(DATASET_FILES)
    assert detail["schools_list"][0]["am_arrive_from"] == "08:30:00"
    assert detail["fleet"][0]["cost_per_session_gbp"] == 10.0


def test_uploaded_files_are_stored_byte_for_byte(api):
    dataset_id = upload(api).json()["id"]
    response = api.get(f"/datasets/{dataset_id}/files/pupils.csv")
    assert response.status_code == 200
    assert response.content == DATASET_FILES["pupils.csv"]
    assert api.get(f"/datasets/{dataset_id}/files/nothing.csv").status_code == 404


def test_upload_one_workbook(api):
    response = upload(api, {"council.xlsx": workbook("/root/secret.npz")}, name="")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["source_format"] == "xlsx" and body["name"] == "council"
    assert body["pupils"] == 6
    assert any("ignored" in note for note in body["notes"])


def test_every_problem_is_reported_with_file_row_and_column_and_nothing_is_stored(api):
    before = _count(api)
    pupils = DATASET_FILES["pupils.csv"].decode()
    pupils = pupils.replace("P2,Ben Brown,S1,10", "P2,Ben Brown,S9,ten")
    fleet = DATASET_FILES["fleet.csv"].decode().replace("count,", "cnt,")
    files = {**DATASET_FILES, "pupils.csv": pupils.encode(), "fleet.csv": fleet.encode()}
    response = upload(api, files)
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert {"file", "row", "column", "message"} <= set(problems[0])
    assert {"file": "fleet.csv", "row": 1, "column": "count"} in [
        {k: p[k] for k in ("file", "row", "column")} for p in problems
    ]
    assert _count(api) == before


def test_value_problems_name_their_cell(api):
    pupils = (
        DATASET_FILES["pupils.csv"].decode().replace("P2,Ben Brown,S1,10", "P2,Ben Brown,S9,ten")
    )
    response = upload(api, {**DATASET_FILES, "pupils.csv": pupils.encode()})
    assert response.status_code == 422
    where = {(p["file"], p["row"], p["column"]) for p in response.json()["problems"]}
    assert ("pupils.csv", 3, "age") in where and ("pupils.csv", 3, "school_id") in where


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ({"pupils.csv": b"pupil_id\n"}, "file is missing"),
        ({**DATASET_FILES, "notes.txt": b"hello"}, "unexpected file"),
        ({"a.xlsx": b"not a zip", "b.xlsx": b"no"}, "one workbook"),
        ({"council.xlsx": b"not a workbook"}, "cannot read the workbook"),
        ({**DATASET_FILES, "pupils.csv": b"\xff\xfe\x00bad"}, "UTF-8"),
        ({**DATASET_FILES, "settings.toml": b"[roads\nnetwork="}, "TOML"),
    ],
)
def test_malformed_uploads_are_refused_with_the_problem(api, files, fragment):
    before = _count(api)
    response = upload(api, files)
    assert response.status_code == 422, response.text
    assert any(fragment in p["message"] for p in response.json()["problems"])
    assert _count(api) == before


def test_an_upload_without_files_is_422(api):
    response = api.post("/datasets", data={"name": "x"})
    assert response.status_code == 422


def test_oversized_upload_is_413_and_nothing_is_stored(backend, tmp_path):
    with make_api(backend, tmp_path, max_upload_bytes=2_000) as small:
        from api.auth import Role

        small.add_user("officer", Role.OFFICER)
        big = {**DATASET_FILES, "pupils.csv": DATASET_FILES["pupils.csv"] * 10}
        response = upload(small, big)
        assert response.status_code == 413
        assert "limit" in response.json()["detail"]
        assert small.get("/datasets").json() == []


def test_list_get_and_unknown_ids(api):
    dataset_id = upload(api, name="listed").json()["id"]
    listed = api.get("/datasets").json()
    assert dataset_id in [d["id"] for d in listed]
    assert api.get("/datasets/999999").status_code == 404
    assert api.get("/datasets/999999").json()["detail"] == "no dataset 999999"
    response = api.get("/datasets/not-a-number")
    assert response.status_code == 422
    assert response.json()["problems"][0]["column"] == "dataset_id"


def test_pupils_are_listed_for_officers(api):
    dataset_id = upload(api).json()["id"]
    pupils = api.get(f"/datasets/{dataset_id}/pupils").json()
    assert [p["pupil_id"] for p in pupils] == ["P1", "P2", "P3", "P4", "P5", "P6"]
    cara = pupils[2]
    assert cara["wheelchair"] and cara["passenger_assistant"] and cara["sessions"] == ["AM", "PM"]


def test_delete_dataset(api):
    dataset_id = upload(api, name="to delete").json()["id"]
    assert api.delete(f"/datasets/{dataset_id}").status_code == 204
    assert api.get(f"/datasets/{dataset_id}").status_code == 404
    assert api.delete(f"/datasets/{dataset_id}").status_code == 404


def test_a_dataset_with_plans_is_kept_unless_asked(api):
    dataset_id = upload(api, name="with plan").json()["id"]
    plan = {"dataset": "with plan", "routes": [], "unassigned": []}
    stored = api.post("/plans", json={"dataset_id": dataset_id, "plan": plan, "label": "empty"})
    assert stored.status_code == 201, stored.text
    refused = api.delete(f"/datasets/{dataset_id}")
    assert refused.status_code == 409 and "with_plans" in refused.json()["detail"]
    assert api.get(f"/plans/{stored.json()['id']}").status_code == 200
    assert api.delete(f"/datasets/{dataset_id}?with_plans=true").status_code == 204
    assert api.get(f"/plans/{stored.json()['id']}").status_code == 404


def test_a_streamed_upload_over_the_limit_is_413(backend, tmp_path):
    """Without a Content-Length the body is counted as it arrives."""
    with make_api(backend, tmp_path, max_upload_bytes=2_000) as small:
        from api.auth import Role

        small.add_user("officer", Role.OFFICER)
        boundary = "x-boundary"
        part = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
                f'filename="pupils.csv"\r\n\r\n'
            ).encode()
            + DATASET_FILES["pupils.csv"] * 10
            + f"\r\n--{boundary}--\r\n".encode()
        )

        def chunks():
            for i in range(0, len(part), 500):
                yield part[i : i + 500]

        response = small.client.post(
            "/datasets",
            content=chunks(),
            headers={
                **small.headers("officer"),
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        assert response.status_code == 413
        assert small.get("/datasets").json() == []


def test_an_address_the_roads_cannot_reach_is_422_and_not_stored(api, monkeypatch):
    from optimiser.domain.errors import UnreachableLocationError

    def unreachable(dataset):
        raise UnreachableLocationError(
            "these places cannot be reached by road", affected=["pupil P5's home"]
        )

    before = _count(api)
    monkeypatch.setattr(api.client.app.state.service, "travel_for", unreachable)
    response = upload(api)
    assert response.status_code == 422
    assert response.json()["problems"][0]["message"] == "pupil P5's home cannot be reached"
    assert _count(api) == before
