def test_signed_in_reads_and_anonymous_is_refused(client, anonymous):
    assert client.get("/api/v1/missions").status_code == 200
    assert anonymous.get("/api/v1/missions").status_code == 401
