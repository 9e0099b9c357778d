"""Static files outside production: whitenoise finds each file when it is asked for (settings
WHITENOISE_AUTOREFRESH) instead of listing them all when it starts, so a stylesheet added or
edited while the server runs is served without a restart. Production serves the collected,
hashed files (tests/trust/test_headers.py)."""


def test_development_serves_a_static_file_added_while_it_runs(client, settings, tmp_path):
    settings.STATICFILES_DIRS = [tmp_path]
    assert client.get("/static/imsclinic-added.css").status_code == 404  # the server has started

    (tmp_path / "imsclinic-added.css").write_text("p { color: navy; }")
    added = client.get("/static/imsclinic-added.css")
    assert added.status_code == 200
    assert b"".join(added.streaming_content) == b"p { color: navy; }"
