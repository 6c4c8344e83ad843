def test_fixture_builds(built_site, served_site):
    import urllib.request
    assert (built_site / "index.html").is_file()
    with urllib.request.urlopen(served_site.url + "/about-us/") as response:
        assert b'id="our-journey"' in response.read()
